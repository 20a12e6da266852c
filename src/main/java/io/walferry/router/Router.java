package io.walferry.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.walferry.config.RouterConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code walferry router}: listens on each configured endpoint, authenticates clients, pools server connections and
 * sends each client's work where the {@link ClusterWatcher} says. Every connection, client or server, runs on one event
 * loop, so that the state of pools and sessions needs no locks. See docs/router.md.
 */
public final class Router implements AutoCloseable, RouterContext {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private final RouterConfig config;
    private final NioEventLoopGroup group;
    private final EventLoop loop;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, UserSecret> users;
    private final Backends backends;
    private final ClusterWatcher watcher;
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<Integer, ClientConnection> clients = new HashMap<>();

    private Router(WalferryConfig config) {
        this.config = config.router().orElseThrow(() -> WalferryException.config("no router: section in " + config.source(),
                "add one: router: { endpoints: { rw: { port: 6432 } } } (see docs/router.md)"));
        this.users = this.config.usersFile().map(UsersFile::load).orElse(Map.of());
        this.group = new NioEventLoopGroup(1); // after every check that can refuse the configuration: nothing to stop then
        this.loop = group.next();
        this.backends = new Backends(this.config, new ServerConnector(loop, this.config.connectTimeout()));
        this.watcher = new ClusterWatcher(config, view -> loop.execute(() -> backends.update(view)));
    }

    /** Starts the router: every endpoint listening, the watcher probing. */
    public static Router start(WalferryConfig config) {
        // The router's server connections do not speak TLS yet: clients' passwords and data must not cross a network.
        for (io.walferry.config.NodeConfig n : config.nodes()) {
            if (!io.walferry.config.LoopbackHost.is(n.host())) {
                throw WalferryException.config("node " + n.name() + " at " + n.host() + " is not on loopback, and the router does not "
                        + "speak TLS to servers yet", "run the router on the servers' host (or through a local tunnel) for now; see docs/router.md");
            }
        }
        Router r = new Router(config);
        try {
            r.listen();
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        r.watcher.start();
        return r;
    }

    private void listen() {
        for (RouterConfig.Endpoint e : config.endpoints()) {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new FrameDecoder(config.maxMessageBytes(), true), new ClientConnection(Router.this, e));
                        }
                    });
            try {
                listeners.add(b.bind(new InetSocketAddress(config.listen(), e.port())).sync().channel());
            } catch (Exception ex) {
                throw new WalferryException(Failure.LOCAL, "router: cannot listen on " + config.listen() + ":" + e.port() + " ("
                        + e.role().name().toLowerCase(java.util.Locale.ROOT) + "): " + ex.getMessage(),
                        "is another process using the port? Change router.endpoints or router.listen");
            }
            LOG.info("router: {} endpoint listening on {}:{} ({} pooling, pool_size {})", e.role().name().toLowerCase(java.util.Locale.ROOT),
                    config.listen(), e.port(), e.poolMode().name().toLowerCase(java.util.Locale.ROOT), e.poolSize());
        }
    }

    /** Blocks until the router is closed. */
    public void awaitClose() throws InterruptedException {
        for (Channel c : listeners) {
            c.closeFuture().sync();
        }
    }

    /** The router's state now, read on its event loop. */
    public RouterStats stats() {
        try {
            return loop.submit(() -> new RouterStats(backends.view().primary().map(io.walferry.config.NodeConfig::name),
                    backends.view().readable().stream().map(io.walferry.config.NodeConfig::name).toList(), clients.size(),
                    backends.parked(), backends.poolStats())).get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the router's event loop did not answer", e);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("reading the router's state");
        }
    }

    @Override
    public RouterConfig config() {
        return config;
    }

    @Override
    public SecureRandom random() {
        return random;
    }

    @Override
    public Backends backends() {
        return backends;
    }

    @Override
    public boolean admit(ClientConnection c) {
        if (clients.size() >= config.maxClients()) {
            return false;
        }
        clients.put(c.cancelPid, c);
        return true;
    }

    @Override
    public void leave(ClientConnection c) {
        clients.remove(c.cancelPid, c);
    }

    @Override
    public Optional<UserSecret> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    @Override
    public ServerCredentials serverCredentials(String user, Optional<byte[]> clientKey) {
        UserSecret s = users.get(user);
        if (s == null) {
            return ServerCredentials.none(user);
        }
        return new ServerCredentials(user, s.password(), clientKey, Optional.of(s.scram().serverKey()));
    }

    @Override
    public void cancel(int pid, int key) {
        ClientConnection c = clients.get(pid);
        if (c == null || c.cancelKey != key) {
            return; // as PostgreSQL does: no answer either way
        }
        c.server().ifPresent(s -> new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                .connect(s.key.node().host(), s.key.node().port()).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().writeAndFlush(Messages.cancelRequest(f.channel().alloc(), s.backendPid(), s.backendKey()))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                }));
    }

    @Override
    public void close() {
        watcher.close();
        listeners.forEach(Channel::close);
        loop.execute(backends::closeAll);
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
