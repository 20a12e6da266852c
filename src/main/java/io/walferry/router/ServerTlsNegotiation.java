package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

import java.util.function.Consumer;

/**
 * The start of a connection to a server with TLS: it sends PostgreSQL's SSLRequest, and on the server's {@code S} puts
 * the TLS handler in its place; on {@code N} it goes on in plain text if the mode allows it. Only then does the rest of
 * the pipeline hear that the channel is active (and send its start-up packet or cancel request). A server that sends
 * anything after its one-byte answer before the handshake is refused: those bytes did not come through TLS.
 */
final class ServerTlsNegotiation extends ChannelInboundHandlerAdapter {
    private final SslHandler ssl;
    private final boolean required;
    private final String node;
    private final Consumer<String> failed;

    /**
     * @param required a server that offers no TLS is refused ({@code require} and stronger), else used in plain text
     * @param failed   hears why the connection cannot go on (its channel is closed)
     */
    ServerTlsNegotiation(SslHandler ssl, boolean required, String node, Consumer<String> failed) {
        this.ssl = ssl;
        this.required = required;
        this.node = node;
        this.failed = failed;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ByteBuf request = ctx.alloc().buffer(8);
        request.writeInt(8);
        request.writeInt(StartupPacket.SSL_REQUEST);
        ctx.writeAndFlush(request);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
            if (!b.isReadable()) {
                return;
            }
            byte answer = b.readByte();
            if (b.isReadable()) {
                fail(ctx, "node " + node + " sent data after its answer to the SSL request");
            } else if (answer == 'S') {
                ctx.pipeline().replace(this, "tls", ssl);
                ssl.handshakeFuture().addListener(f -> {
                    if (f.isSuccess()) {
                        ctx.pipeline().context(ssl).fireChannelActive();
                    } else {
                        fail(ctx, "TLS with node " + node + " failed: " + f.cause().getMessage());
                    }
                });
            } else if (answer == 'N' && !required) {
                ctx.fireChannelActive();
                ctx.pipeline().remove(this);
            } else if (answer == 'N') {
                fail(ctx, "node " + node + " does not offer TLS and router.server_tls.sslmode requires it (set ssl = on on the server)");
            } else {
                fail(ctx, "node " + node + " answered the SSL request with '" + (char) answer + "'");
            }
        } finally {
            b.release();
        }
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        failed.accept(why);
        ctx.channel().close();
    }
}
