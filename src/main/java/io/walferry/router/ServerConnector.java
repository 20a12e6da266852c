package io.walferry.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Opens server connections on the router's event loop, each given up if its login takes longer than the timeout. */
final class ServerConnector {
    private final EventLoop loop;
    private final RouterTransport transport;
    private final Duration timeout;
    private RouterTls tls;

    ServerConnector(EventLoop loop, RouterTransport transport, Duration timeout, RouterTls tls) {
        this.loop = loop;
        this.transport = transport;
        this.timeout = timeout;
        this.tls = tls;
    }

    /** A reload's TLS settings, for the connections opened from now on. */
    void tls(RouterTls next) {
        tls = next;
    }

    EventLoop loop() {
        return loop;
    }

    ServerConnection connect(PoolKey key, ServerCredentials credentials, ServerConnection.Listener listener) {
        ServerConnection s = new ServerConnection(key, credentials, listener);
        Bootstrap b = new Bootstrap().group(loop).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(Integer.MAX_VALUE, false), s);
                        tls.toServer(ch, key.node(), s::failLogin);
                    }
                });
        b.connect(key.node().host(), key.node().port()).addListener(f -> {
            if (!f.isSuccess()) {
                s.unreachable("cannot connect to " + key.node().name() + " at " + key.node().host() + ":" + key.node().port() + ": "
                        + f.cause().getMessage());
            }
        });
        loop.schedule(() -> {
            s.unreachable("no login to " + key.node().name() + " within " + timeout.toMillis() + " ms (router.connect_timeout)");
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }
}
