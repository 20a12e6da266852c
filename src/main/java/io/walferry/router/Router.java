package io.walferry.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
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

    /** The configuration in force; replaced by a reload on the event loop, read there (and by the reload's check). */
    private volatile WalferryConfig whole;
    private volatile RouterConfig config;
    private final RouterTransport transport = RouterTransport.best();
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final SecureRandom random = new SecureRandom();
    private volatile Map<String, UserSecret> users;
    private volatile RouterTls tls;
    private final ServerConnector connector;
    private final Backends backends;
    private io.walferry.monitor.HttpServer http;
    private long reloads;
    private long reloadsRefused;
    private final ClusterWatcher watcher;
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<Integer, ClientConnection> clients = new HashMap<>();
    /** auth_query: the lookups (off the loop), their answers for a while, and the clients waiting for one, by user. */
    private volatile Optional<UserLookup> lookup;
    private UserSecretCache lookedUp;
    private final Map<String, List<java.util.function.Consumer<UserLookup.Result>>> lookingUp = new HashMap<>();
    /** Lookups that wait for a server to ask (the router just started, or a failover): each client's start-up timeout bounds it. */
    private final List<Runnable> awaitingServer = new ArrayList<>();
    private final byte[] unknownUserKey = new byte[32];
    /** Clients counted under their user's max_user_connections, and the user. */
    private final Map<ClientConnection, String> userOf = new HashMap<>();

    private Router(WalferryConfig config) {
        this.config = config.router().orElseThrow(() -> WalferryException.config("no router: section in " + config.source(),
                "add one: router: { endpoints: { rw: { port: 6432 } } } (see docs/router.md)"));
        this.whole = config;
        this.users = this.config.usersFile().map(UsersFile::load).orElse(Map.of());
        this.tls = RouterTls.of(this.config, config.nodes());
        this.lookup = this.config.authQuery().map(q -> new UserLookup(q, config.connection()));
        this.lookedUp = new UserSecretCache(this.config.authQuery().map(RouterConfig.AuthQuery::cacheTtl).orElse(java.time.Duration.ZERO));
        random.nextBytes(unknownUserKey);
        // after every check that can refuse the configuration: nothing to stop then
        this.group = transport.group(1, Thread.ofPlatform().name("router-io").factory());
        this.loop = group.next();
        this.connector = new ServerConnector(loop, transport, this.config.connectTimeout(), tls);
        this.backends = new Backends(this.config, connector);
        this.watcher = new ClusterWatcher(config, view -> loop.execute(() -> {
            backends.update(view);
            lookUpAwaiting();
        }));
    }

    /** Starts the router: every endpoint listening, the watcher probing. */
    public static Router start(WalferryConfig config) {
        Router r = new Router(config);
        try {
            r.listen();
            r.serveHttp();
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        r.watcher.start();
        return r;
    }

    private void listen() {
        String why = transport == RouterTransport.NIO ? RouterTransport.whyNotEpoll() : "";
        LOG.info("router: sockets through {}{}", transport.name(), why.isEmpty() ? "" : " (epoll unavailable: " + why + ")");
        for (RouterConfig.Endpoint e : config.endpoints()) {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // a reload may have changed the endpoint's pool mode or size: new clients take the one in force
                            RouterConfig.Endpoint now = config.endpoint(e.role()).orElse(e);
                            ch.pipeline().addLast(new FrameDecoder(config.maxMessageBytes(), true), new ClientConnection(Router.this, now));
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

    /** {@code /metrics} and {@code /status} on {@code router.metrics_listen:metrics_port}, unless the port is 0 (or taken). */
    private void serveHttp() {
        RouterConfig.Metrics m = config.metrics();
        if (m.port() == 0) {
            return;
        }
        try {
            http = new io.walferry.monitor.HttpServer("the router's metrics (router.metrics_listen, metrics_port)", m.listen(), m.port(), Map.of(
                "/metrics", req -> new io.walferry.monitor.HttpServer.Response(200,
                        io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.CONTENT_TYPE, RouterMetrics.text(whole.cluster(), stats())),
                "/status", req -> new io.walferry.monitor.HttpServer.Response(200, "application/json",
                        RouterStatusJson.write(stats()))), Optional.empty(), Optional.empty());
        } catch (WalferryException e) {
            // as the agent does: the router routes on without its stats rather than not at all
            LOG.error("router: {}; routing goes on without /metrics and /status (hint: set router.metrics_port to a free port, or 0)",
                    e.getMessage());
            return;
        }
        LOG.info("router: metrics on {}/metrics, status on {}/status", http.url(), http.url());
    }

    /**
     * Takes on a new configuration without dropping a client: users, TLS files, lag limits, limits per user (global and
     * each user's own), pool sizes and modes (for new clients), time limits. A change that needs a restart (addresses, ports, nodes, HA) or a configuration that cannot be
     * used refuses the whole reload, and the old one stays in force.
     *
     * @param load reads the new configuration (its mistakes count as refused reloads)
     * @return what changed, for the log
     */
    public String reload(java.util.function.Supplier<WalferryConfig> load) {
        try {
            WalferryConfig next = load.get();
            RouterConfig r = next.router().orElseThrow(() -> WalferryException.config("no router: section in " + next.source(),
                    "put the router: section back"));
            RouterReload.needsRestart(whole, next).ifPresent(why -> {
                throw WalferryException.config(why + ": a reload cannot change it", "put it back and restart the router to change it");
            });
            Map<String, UserSecret> u = r.usersFile().map(UsersFile::load).orElse(Map.of());
            RouterTls t = RouterTls.of(r, next.nodes());
            String changed = RouterReload.changes(config, r);
            Optional<UserLookup> nextLookup = r.authQuery().equals(config.authQuery()) && next.connection().equals(whole.connection())
                    ? lookup : r.authQuery().map(q -> new UserLookup(q, next.connection()));
            Optional<UserLookup> before = lookup;
            loop.submit(() -> {
                whole = next;
                config = r;
                users = u;
                tls = t;
                if (nextLookup != before) {
                    lookup = nextLookup;
                    before.ifPresent(UserLookup::close);
                }
                // a reload drops what auth_query answered: a role changed on the primary is read again
                lookedUp = new UserSecretCache(r.authQuery().map(RouterConfig.AuthQuery::cacheTtl).orElse(java.time.Duration.ZERO));
                connector.tls(t);
                backends.reconfigure(r);
                reloads++;
            }).get(10, java.util.concurrent.TimeUnit.SECONDS);
            watcher.reconfigure(r);
            return changed;
        } catch (WalferryException e) {
            loop.execute(() -> reloadsRefused++);
            throw e;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the router's event loop did not take the new configuration", e);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("reloading the router's configuration");
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
                    backends.parked(), backends.poolStats(), backends.counters().routes(), backends.counters().exclusions(),
                    reloads, reloadsRefused)).get(10, java.util.concurrent.TimeUnit.SECONDS);
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
    public RouterTls tls() {
        return tls;
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
        String user = userOf.remove(c);
        if (user != null) {
            backends.userLimits().clientLeft(user);
        }
    }

    @Override
    public Optional<String> admitUser(ClientConnection c, String user) {
        Optional<String> refused = backends.userLimits().admitClient(user);
        if (refused.isEmpty()) {
            userOf.put(c, user);
        }
        return refused;
    }

    @Override
    public Optional<UserSecret> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    @Override
    public void secret(String name, java.util.function.Consumer<UserLookup.Result> then) {
        UserSecret inFile = users.get(name);
        if (inFile != null || lookup.isEmpty()) {
            then.accept(new UserLookup.Result(Optional.ofNullable(inFile), Optional.empty(), inFile != null ? "in the users file"
                    : "not in the users file"));
            return;
        }
        Optional<Optional<UserSecret>> kept = lookedUp.get(name, System.nanoTime());
        if (kept.isPresent()) {
            then.accept(new UserLookup.Result(kept.get(), Optional.empty(), kept.get().isPresent() ? "found by auth_query"
                    : "auth_query found no such user (or no SCRAM verifier)"));
            return;
        }
        List<java.util.function.Consumer<UserLookup.Result>> waiting = lookingUp.get(name);
        if (waiting != null) {
            waiting.add(then); // one lookup answers every client of the user that asks meanwhile
            return;
        }
        // on the primary; during a failover, a replica that serves reads holds the same roles
        Optional<io.walferry.config.NodeConfig> node = backends.view().primary().or(() -> backends.view().readable().stream().findFirst());
        if (node.isEmpty()) {
            if (awaitingServer.size() >= config.maxClients()) {
                then.accept(UserLookup.Result.failed("auth_query has no server to ask: no primary and no replica serves reads"));
            } else {
                awaitingServer.add(() -> secret(name, then));
            }
            return;
        }
        lookingUp.put(name, new ArrayList<>(List.of(then)));
        UserSecretCache into = lookedUp;
        lookup.get().lookup(node.get(), name, r -> loop.execute(() -> {
            if (r.failure().isEmpty()) {
                into.put(name, r.secret(), System.nanoTime());
            }
            List<java.util.function.Consumer<UserLookup.Result>> all = lookingUp.remove(name);
            if (all != null) {
                all.forEach(c -> c.accept(r));
            }
        }));
    }

    private void lookUpAwaiting() {
        if (!awaitingServer.isEmpty() && (backends.view().primary().isPresent() || !backends.view().readable().isEmpty())) {
            List<Runnable> go = List.copyOf(awaitingServer);
            awaitingServer.clear();
            go.forEach(Runnable::run);
        }
    }

    @Override
    public UserSecret.Scram unknownUser(String name) {
        return UserSecret.Scram.unknown(name, unknownUserKey, random);
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
        c.server().ifPresent(s -> new Bootstrap().group(loop).channel(transport.socketChannel())
                .handler(new io.netty.channel.ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(Messages.cancelRequest(ctx.alloc(), s.backendPid(), s.backendKey()))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        });
                        tls.toServer(ch, s.key.node(), why -> LOG.info("router: a cancel request was not sent: {}", why));
                    }
                })
                .connect(s.key.node().host(), s.key.node().port()));
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        watcher.close();
        lookup.ifPresent(UserLookup::close);
        listeners.forEach(Channel::close);
        loop.execute(backends::closeAll);
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
