package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;
import io.walferry.postgres.Lsn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The pools of every server, and which server a client's next transaction goes to: {@code rw} to the primary, {@code ro}
 * to the fit replica with the fewest transactions in progress, else the primary. Without a primary (a failover) a client
 * waits for one up to {@code failover_wait}. When the primary changes, every connection to the old one is closed.
 * Runs on the router's event loop only.
 */
final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    /**
     * A client's request for a server connection.
     *
     * @param route   where this transaction goes: {@code rw} the primary, {@code ro} a fit replica (else the primary)
     * @param mustSee with {@code ro}: only a replica that has replayed this far (read-your-writes)
     */
    record Request(RouterConfig.Endpoint endpoint, String user, String database, Map<String, String> settings,
                   ServerCredentials credentials, ServerPool.Waiter waiter, RouterConfig.Role route, Optional<Lsn> mustSee)
            implements ServerPool.Waiter {
        Request(RouterConfig.Endpoint endpoint, String user, String database, Map<String, String> settings,
                ServerCredentials credentials, ServerPool.Waiter waiter) {
            this(endpoint, user, database, settings, credentials, waiter, endpoint.role(), Optional.empty());
        }

        @Override
        public void granted(ServerConnection s) {
            waiter.granted(s);
        }

        @Override
        public void failed(ByteBuf error, String why) {
            waiter.failed(error, why);
        }
    }

    private record Parked(Request request, ScheduledFuture<?> timeout) {
    }

    private RouterConfig config;
    private final ServerConnector connector;
    private final RouteCounters counters = new RouteCounters();
    private final Map<PoolKey, ServerPool> pools = new HashMap<>();
    private final List<Parked> parked = new ArrayList<>();
    private RouteView view = RouteView.NONE;
    private final Routes routes = new Routes();
    /** The parameters a server reported at login, by user, database and settings: a client logs in without a server. */
    private final Map<List<Object>, Map<String, String>> parameters = new HashMap<>();
    private final UserLimits limits;
    private final ServerPool.Budget budget = new UserBudget();

    Backends(RouterConfig config, ServerConnector connector) {
        this.config = config;
        this.connector = connector;
        this.limits = new UserLimits(config.userLimits());
    }

    /** The limits per user: client connections (checked at login) and server connections per node (checked here). */
    UserLimits userLimits() {
        return limits;
    }

    /**
     * {@code user_pool_size} over all the pools of a user on a node: a pool that may not open a connection has an idle
     * one of another pool closed for it, and a pool of the user that waits is told when one of them goes.
     */
    private final class UserBudget implements ServerPool.Budget {
        @Override
        public boolean open(PoolKey key) {
            if (limits.openServer(key.user(), key.node().name())) {
                return true;
            }
            for (ServerPool p : pools.values()) {
                if (!p.key().equals(key) && sameUserAndNode(p.key(), key) && p.closeIdle("another pool of its user waits ("
                        + limits.limits().servers(key.user()).key() + ")")) {
                    break;
                }
            }
            return false;
        }

        @Override
        public void gone(PoolKey key) {
            limits.serverGone(key.user(), key.node().name());
            if (!limits.limitsServers(key.user())) {
                return; // no user limit held anyone back; the pool itself serves its own waiters
            }
            // the user's other pools on the node, once the pool that let it go is done with its own bookkeeping
            connector.loop().execute(() -> {
                for (ServerPool p : List.copyOf(pools.values())) {
                    if (!p.key().equals(key) && sameUserAndNode(p.key(), key) && !limits.serversFull(key.user(), key.node().name())) {
                        p.retry();
                    }
                }
            });
        }

        @Override
        public boolean wantedElsewhere(PoolKey key) {
            if (!limits.serversFull(key.user(), key.node().name())) {
                return false;
            }
            for (ServerPool p : pools.values()) {
                if (!p.key().equals(key) && sameUserAndNode(p.key(), key) && p.waiting() > 0) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Optional<String> holdsBack(PoolKey key) {
            return limits.serverLimit(key.user(), key.node().name());
        }

        private static boolean sameUserAndNode(PoolKey a, PoolKey b) {
            return a.user().equals(b.user()) && a.node().equals(b.node());
        }
    }

    Optional<Map<String, String>> parameters(String user, String database, Map<String, String> settings) {
        return Optional.ofNullable(parameters.get(List.of(user, database, settings)));
    }

    void remember(String user, String database, Map<String, String> settings, Map<String, String> reported) {
        parameters.put(List.of(user, database, Map.copyOf(settings)), Map.copyOf(reported));
    }

    RouteView view() {
        return view;
    }

    RouteCounters counters() {
        return counters;
    }

    /** A reload: pools take their endpoint's new size; waits and new pools follow the new settings. */
    void reconfigure(RouterConfig next) {
        config = next;
        limits.limits(next.userLimits());
        for (ServerPool p : pools.values()) {
            p.resize(poolSize(p.key().mode(), p.size()));
        }
    }

    /** The pool size of the endpoints of {@code mode} (the largest, where rw and ro share a mode and so a node's pools). */
    private int poolSize(RouterConfig.PoolMode mode, int otherwise) {
        return config.endpoints().stream().filter(e -> e.poolMode() == mode).mapToInt(RouterConfig.Endpoint::poolSize).max().orElse(otherwise);
    }

    void acquire(Request r) {
        Optional<NodeConfig> node = target(r.route(), r.mustSee());
        if (node.isEmpty()) {
            park(r, "");
            return;
        }
        PoolKey key = new PoolKey(node.get(), r.user(), r.database(), r.settings(), r.endpoint().poolMode());
        ServerPool pool = pools.get(key);
        if (pool == null) {
            pool = new ServerPool(key, poolSize(key.mode(), r.endpoint().poolSize()), connector, config.failoverWait(), this::unreachable)
                    .budget(budget);
            pools.put(key, pool);
        }
        pool.acquire(r, r.credentials());
    }

    /** Waits for the next view with a primary (a failover), up to {@code failover_wait}; {@code last} says what went wrong before. */
    private void park(Request r, String last) {
        ScheduledFuture<?> t = connector.loop().schedule(() -> parkedTooLong(r, last), config.failoverWait().toMillis(), TimeUnit.MILLISECONDS);
        parked.add(new Parked(r, t));
    }

    /**
     * The server a client was to get could not be reached: it may have just gone down, before the watcher's next look says
     * so. The client waits for the next view (the same server if it is still up, else the new primary) rather than
     * failing at once, as it would have if the watcher had seen the loss first.
     */
    private void unreachable(ServerPool.Waiter w, String why) {
        park((Request) w, why);
    }

    private Optional<NodeConfig> target(RouterConfig.Role role, Optional<Lsn> mustSee) {
        if (role == RouterConfig.Role.RO) {
            Optional<NodeConfig> replica = view.readable().stream()
                    .filter(n -> ReadYourWrites.caughtUp(Optional.ofNullable(view.replayed().get(n.name())), mustSee))
                    .min(Comparator.comparingInt(this::busy));
            if (replica.isPresent()) {
                return replica;
            }
        }
        return view.primary();
    }

    /** The auto endpoint's decision for a query text (kept for texts seen before: applications repeat theirs). */
    StatementRoute classify(String sql) {
        if (routes.functions != view.functions()) {
            routes.clear();
            routes.functions = view.functions();
        }
        StatementRoute r = routes.get(sql);
        if (r == null) {
            r = StatementClassifier.classify(sql, view.functions());
            if (sql.length() <= Routes.MAX_TEXT) {
                routes.put(sql, r);
            }
        }
        return r;
    }

    /** The auto endpoint's decisions by query text, the least recently used dropped first. */
    private static final class Routes extends java.util.LinkedHashMap<String, StatementRoute> {
        private static final long serialVersionUID = 1L;
        private static final int MAX = 4096;
        /** Longer texts are parsed each time: the cache stays small whatever clients send. */
        private static final int MAX_TEXT = 1024;
        private transient ReadOnlyFunctions functions;

        Routes() {
            super(256, 0.75f, true);
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, StatementRoute> eldest) {
            return size() > MAX;
        }
    }

    private int busy(NodeConfig node) {
        int n = 0;
        for (ServerPool p : pools.values()) {
            if (p.key().node().equals(node)) {
                n += p.busy();
            }
        }
        return n;
    }

    private void parkedTooLong(Request r, String last) {
        for (Iterator<Parked> i = parked.iterator(); i.hasNext(); ) {
            if (i.next().request() == r) {
                i.remove();
                r.waiter().failed((ByteBuf) null, "no primary within " + config.failoverWait().toMillis()
                        + " ms (router.failover_wait): the cluster has none now, or its nodes disagree" + (last.isEmpty() ? "" : "; " + last));
                return;
            }
        }
    }

    void release(ServerConnection s) {
        ServerPool p = pools.get(s.key);
        if (p != null) {
            p.release(s);
        } else {
            s.close("its pool is gone");
        }
    }

    /** A new view from the watcher: connections to a server that left its role are closed, parked clients go on. */
    void update(RouteView next) {
        RouteView before = view;
        view = next;
        if (before.primary().isPresent() && !before.primary().equals(next.primary())) {
            NodeConfig old = before.primary().get();
            closeNode(old, "node " + old.name() + " is no longer the primary", p -> true);
        }
        // a session stays on its server: a session on a replica that no longer qualifies ends, and reconnects to one that does
        for (NodeConfig r : before.readable()) {
            if (!next.readable().contains(r)) {
                counters.excluded(r.name());
            }
            if (!next.readable().contains(r) && !next.primary().equals(Optional.of(r))) {
                closeNode(r, "replica " + r.name() + " no longer serves reads (see the router's log for why)",
                        p -> p.key().mode() == RouterConfig.PoolMode.SESSION);
            }
        }
        if (!parked.isEmpty() && next.primary().isPresent()) {
            List<Parked> go = new ArrayList<>(parked);
            parked.clear();
            for (Parked p : go) {
                p.timeout().cancel(false);
                acquire(p.request());
            }
        }
    }

    private void closeNode(NodeConfig node, String reason, java.util.function.Predicate<ServerPool> which) {
        for (Iterator<Map.Entry<PoolKey, ServerPool>> i = pools.entrySet().iterator(); i.hasNext(); ) {
            ServerPool p = i.next().getValue();
            if (p.key().node().equals(node) && which.test(p)) {
                LOG.info("router: closing {} connections to {}: {}", p.size(), p.key(), reason);
                p.closeAll(reason);
                i.remove();
            }
        }
    }

    int parked() {
        return parked.size();
    }

    List<RouterStats.Pool> poolStats() {
        List<RouterStats.Pool> out = new ArrayList<>();
        pools.values().forEach(p -> out.add(new RouterStats.Pool(p.key().toString(), p.key().node().name(), p.key().mode().name().toLowerCase(java.util.Locale.ROOT),
                p.size(), p.busy(), p.waiting(), p.errors(), p.bytes().fromClients, p.bytes().toClients, p.bytes().fromServers,
                p.bytes().toServers)));
        out.sort(Comparator.comparing(RouterStats.Pool::name).thenComparing(RouterStats.Pool::mode));
        return out;
    }

    void closeAll() {
        pools.values().forEach(p -> p.closeAll("the router is stopping"));
        pools.clear();
    }
}
