package io.walferry.router;

import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.ha.EtcdStore;
import io.walferry.ha.StoreUnavailable;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Probes every node each {@code check_interval} (each on a connection of its own, in parallel, so that one unreachable
 * node delays nothing) and, with HA, reads the leader key (watching it, so that a change is acted on at once); decides
 * with {@link RoutingRules}; logs a new primary and every replica's exclusion or readmission with the reason; and hands
 * the {@link RouteView} on.
 */
final class ClusterWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterWatcher.class);

    private final WalferryConfig config;
    private volatile RouterConfig router;
    private final PgConnector connector;
    private final Consumer<RouteView> sink;
    private volatile boolean closed;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "router-watch");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Connection> connections = new HashMap<>();
    private final Map<String, Future<Optional<ServerPosition>>> running = new HashMap<>();
    private final Optional<EtcdStore> store;
    private Optional<String> lastLeader = Optional.empty();
    private final Deque<RoutingRules.Sample> history = new ArrayDeque<>();
    private Optional<String> primary = Optional.empty();
    private String primaryWhy = "";
    private final Map<String, Boolean> fit = new HashMap<>();
    /** Learned again now and then: a server upgrade or an extension may change the catalog. */
    private static final long LEARN_FUNCTIONS_EVERY = TimeUnit.MINUTES.toNanos(5);
    private volatile ReadOnlyFunctions functions = ReadOnlyFunctions.BUILT_IN_ONLY;
    private volatile long functionsLearnedAt = System.nanoTime() - LEARN_FUNCTIONS_EVERY - 1;

    ClusterWatcher(WalferryConfig config, Consumer<RouteView> sink) {
        this.config = config;
        this.router = config.router().orElseThrow();
        this.connector = new PgConnector(config.connection());
        this.sink = sink;
        this.store = config.ha().map(ha -> new EtcdStore(ha, config.cluster()));
    }

    /** A reload's lag limits, from the next round on. */
    void reconfigure(RouterConfig next) {
        router = next;
    }

    void start() {
        store.ifPresent(s -> s.watch(() -> scheduler.execute(this::round)));
        scheduler.scheduleWithFixedDelay(this::round, 0, router.checkInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void round() {
        try {
            Map<String, Optional<ServerPosition>> positions = probeAll();
            Optional<String> leader = null;
            if (store.isPresent()) {
                try {
                    lastLeader = store.get().read().leader();
                } catch (StoreUnavailable e) {
                    LOG.debug("router: etcd unavailable, keeping the last leader {}: {}", lastLeader, e.getMessage());
                }
                leader = lastLeader;
            }
            Instant now = Instant.now();
            RoutingRules.PrimaryChoice choice = RoutingRules.primary(leader, positions);
            if (!choice.node().equals(primary) || (choice.node().isEmpty() && !choice.why().equals(primaryWhy))) {
                LOG.info("router: {}", choice.node().map(n -> "primary is now " + n + " (" + choice.why() + ")")
                        .orElse("no primary: " + choice.why()));
                history.clear();
            }
            primary = choice.node();
            primaryWhy = choice.why();
            Optional<io.walferry.postgres.Lsn> primaryNow = primary.flatMap(p -> positions.get(p)).flatMap(ServerPosition::current);
            primaryNow.ifPresent(l -> history.add(new RoutingRules.Sample(now, l)));
            while (history.size() > 1 && history.peek().at().isBefore(now.minus(router.maxLagTime().multipliedBy(2)))) {
                history.poll();
            }
            List<NodeConfig> readable = new ArrayList<>();
            for (NodeConfig n : config.nodes()) {
                if (primary.equals(Optional.of(n.name()))) {
                    continue;
                }
                RoutingRules.Fitness f = RoutingRules.replica(positions.get(n.name()), primaryNow, List.copyOf(history), now,
                        router.maxLagBytes(), router.maxLagTime());
                Boolean before = fit.put(n.name(), f.fit());
                if (before == null ? f.fit() : before != f.fit()) {
                    LOG.info("router: replica {} {}: {}", n.name(), f.fit() ? "serves reads" : "excluded", f.why());
                }
                if (f.fit()) {
                    readable.add(n);
                }
            }
            Map<String, io.walferry.postgres.Lsn> replayed = new HashMap<>();
            for (NodeConfig n : readable) {
                positions.get(n.name()).flatMap(ServerPosition::replayed).ifPresent(l -> replayed.put(n.name(), l));
            }
            if (closed) {
                return;
            }
            sink.accept(new RouteView(primary.flatMap(config::node), readable, replayed, functions));
        } catch (RuntimeException e) {
            LOG.warn("router: a round of checks failed", e);
        }
    }

    private Map<String, Optional<ServerPosition>> probeAll() {
        for (NodeConfig n : config.nodes()) {
            Future<Optional<ServerPosition>> f = running.get(n.name());
            if (f == null || f.isDone()) {
                running.put(n.name(), probes.submit(() -> probe(n)));
            }
        }
        long deadline = System.nanoTime() + Math.max(router.checkInterval().toNanos(), TimeUnit.MILLISECONDS.toNanos(500));
        Map<String, Optional<ServerPosition>> out = new HashMap<>();
        for (NodeConfig n : config.nodes()) {
            try {
                out.put(n.name(), running.get(n.name()).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                out.put(n.name(), Optional.empty());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.put(n.name(), Optional.empty());
            }
        }
        return out;
    }

    private Optional<ServerPosition> probe(NodeConfig n) {
        Connection c;
        synchronized (connections) {
            c = connections.get(n.name());
        }
        try {
            if (c == null) {
                c = connector.connect(n);
                c.setNetworkTimeout(probes, (int) Math.max(1000, router.checkInterval().toMillis() * 4));
                synchronized (connections) {
                    connections.put(n.name(), c);
                }
            }
            ServerPosition p = ServerPosition.read(c);
            if (!p.inRecovery() && System.nanoTime() - functionsLearnedAt > LEARN_FUNCTIONS_EVERY) {
                learnFunctions(c);
            }
            return Optional.of(p);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("router: cannot probe {}: {}", n.name(), e.getMessage());
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // it is gone either way
                }
                synchronized (connections) {
                    connections.remove(n.name());
                }
            }
            return Optional.empty();
        }
    }

    /** The catalog's functions that cannot write, from a primary's pg_proc: for the auto endpoint. */
    private void learnFunctions(Connection c) {
        functionsLearnedAt = System.nanoTime();
        try {
            java.util.Set<String> names = io.walferry.postgres.CatalogFunctions.readOnlyNames(c);
            if (functions.learnedCount() != names.size()) {
                LOG.info("router: {} of the catalog's functions are known not to write (from pg_proc)", names.size());
            }
            functions = new ReadOnlyFunctions(names);
        } catch (SQLException e) {
            // the built-in list (or what was learned before) stays; the probe of this round is not spoiled
            LOG.warn("router: cannot read the catalog's functions from pg_proc: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        probes.shutdownNow();
        try {
            // a round under way ends before the router's event loop, its sink's executor, stops
            scheduler.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.ifPresent(EtcdStore::close);
        synchronized (connections) {
            for (Connection c : connections.values()) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
            connections.clear();
        }
    }
}
