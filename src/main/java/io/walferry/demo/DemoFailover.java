package io.walferry.demo;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.ha.ClusterStore;
import io.walferry.ha.EtcdStore;
import io.walferry.ha.MemberState;
import io.walferry.ha.StoreUnavailable;
import io.walferry.ha.StoreView;
import io.walferry.postgres.DemoOrders;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.SynchronousStandbys;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The demo's second act: every node's agent a member of an HA cluster in etcd, synchronous replication on, a client
 * writing one row per transaction through the router's rw endpoint; then the primary's whole node is
 * lost (agent, watchdog and server at once). It tells how long the promotion took, how the old node rejoins, when
 * writes went on, and checks that every acknowledged row is on every node.
 */
final class DemoFailover {
    private final Demo.View view;
    private final WalferryConfig cfg;
    private final PgConnector pg;
    private final PgControl control;
    private final DemoAgents agents;
    private final java.nio.file.Path dir;
    private final PgConnector.Server router;

    DemoFailover(Demo.View view, WalferryConfig cfg, PgConnector pg, PgControl control, DemoAgents agents, java.nio.file.Path dir,
                 PgConnector.Server router) {
        this.view = view;
        this.cfg = cfg;
        this.pg = pg;
        this.control = control;
        this.agents = agents;
        this.dir = dir;
        this.router = router;
    }

    /** True when every acknowledged row is on every node at the end. */
    boolean run(String primary, String standby, String archiveOnly) {
        NodeConfig lost = cfg.node(primary).orElseThrow();
        try (ClusterStore store = EtcdStore.forCommand(cfg.ha().orElseThrow(), cfg.cluster())) {
            // the agent that only archived gives way to one that is also an HA member; then one on every other node
            agents.stop(primary);
            for (String n : List.of(primary, standby, archiveOnly)) {
                agents.start(n);
            }
            awaitSynchronous(store, primary, standby);
            view.say("Every node's agent is a member of the HA cluster in etcd: " + primary + " holds the leader key, and each of its "
                    + "commits waits for " + standby + " (synchronous: on)");

            try (Writer w = new Writer(() -> pg.connect(router, false, new java.util.Properties()))) {
                Deadline.after(Duration.ofSeconds(60)).lookingEvery(Duration.ofMillis(100)).awaitOr(() -> w.count() >= 200,
                        () -> new WalferryException(Failure.FAILED, "the writer could not write to " + primary + ": " + w.lastError(), null));
                view.say("A client writes one row per transaction through " + router.name() + " (" + router.host() + ":" + router.port()
                        + "), which follows the HA leader key: " + w.count() + " rows acknowledged so far");

                agents.kill(primary);
                DemoAgents.killWatchdog(cfg.spoolFor(lost).resolve("ha"), dir);
                control.stop(lost.dataDirectory(), "immediate");
                long t0 = System.nanoTime();
                int before = w.count();
                view.say("Lost node " + primary + ": its agent and watchdog killed, its server stopped at once as in a power cut ("
                        + before + " rows acknowledged)");

                Map<String, String> said = new HashMap<>();
                String leader = awaitNewLeader(store, primary, t0, said);
                view.say(String.format("%s is the primary %.1f s after the loss: the old leader's %d s lease ran out, and %s was the "
                        + "synchronous standby, so it holds every acknowledged commit", leader, since(t0), cfg.ha().get().ttl().toSeconds(),
                        leader));
                view.say("Writes wait meanwhile: in synchronous mode a commit needs a second copy, and " + primary
                        + " was the only other streaming node");

                agents.start(primary);
                view.say("Node " + primary + " comes back: its agent starts");
                awaitRejoined(store, primary, leader, t0, said);
                view.say(String.format("%s follows %s %.1f s after the loss: its agent found the leader and made the old primary a "
                        + "replica of it (with pg_rewind, had it gone ahead)", primary, leader, since(t0)));

                int leaderPort = cfg.node(leader).orElseThrow().port();
                Deadline.after(Duration.ofSeconds(90)).lookingEvery(Duration.ofMillis(100)).awaitOr(() -> w.countOn(leaderPort) >= 100,
                        () -> new WalferryException(Failure.FAILED, "writes did not go on on " + leader + ": " + w.lastError(), null));
                view.say(String.format("Writes go on on %s through the same router endpoint: the first acknowledged %.1f s after the loss",
                        leader, (w.firstAckOn(leaderPort) - t0) / 1e9));
                w.stop();
                long[] acked = w.acknowledged();
                view.say("Stopped writing: " + acked.length + " rows acknowledged, " + w.countOn(lost.port()) + " by " + primary
                        + " and " + w.countOn(leaderPort) + " by " + leader);
                on(cfg.node(leader).orElseThrow(), ServerWal::switchSegment);
                boolean all = true;
                for (NodeConfig n : cfg.nodes()) {
                    long have = awaitPresent(n, acked, Duration.ofMinutes(2));
                    boolean ok = have == acked.length;
                    all &= ok;
                    view.say((ok ? "OK   " : "FAIL ") + n.name() + " holds " + have + " of the " + acked.length + " acknowledged rows");
                }
                return all;
            }
        }
    }

    private void awaitSynchronous(ClusterStore store, String primary, String standby) {
        Deadline.after(Duration.ofSeconds(90)).lookingEvery(Duration.ofMillis(250)).awaitOr(() -> {
            Optional<StoreView> v = read(store);
            if (v.isEmpty() || !v.get().leader().equals(Optional.of(primary))) {
                return false;
            }
            try (Connection c = pg.connect(cfg.node(primary).orElseThrow())) {
                return SynchronousStandbys.confirming(c).contains(standby);
            } catch (SQLException | WalferryException e) {
                return false;
            }
        }, () -> new WalferryException(Failure.FAILED, primary + " did not become the HA leader with " + standby
                + " as its synchronous standby within 90 s", "see " + dir.resolve("agent-" + primary + ".log")));
    }

    /** Waits for another member to hold the key and say it is the primary; tells each change of the members' decisions meanwhile. */
    private String awaitNewLeader(ClusterStore store, String lost, long t0, Map<String, String> said) {
        AtomicReference<String> found = new AtomicReference<>();
        Deadline.after(Duration.ofSeconds(90)).lookingEvery(Duration.ofMillis(250)).awaitOr(() -> {
            Optional<StoreView> v = read(store);
            if (v.isEmpty()) {
                return false;
            }
            tellDecisions(v.get(), said, t0);
            Optional<String> l = v.get().leader().filter(x -> !x.equals(lost));
            MemberState m = l.map(x -> v.get().members().get(x)).orElse(null);
            if (m != null && MemberState.PRIMARY.equals(m.role())) {
                found.set(l.get());
                return true;
            }
            return false;
        }, () -> new WalferryException(Failure.FAILED, "no other node took over within 90 s of losing " + lost,
                "see the agents' logs in " + dir));
        return found.get();
    }

    private void awaitRejoined(ClusterStore store, String node, String leader, long t0, Map<String, String> said) {
        Deadline.after(Duration.ofSeconds(180)).lookingEvery(Duration.ofMillis(250)).awaitOr(() -> {
            Optional<StoreView> v = read(store);
            if (v.isEmpty()) {
                return false;
            }
            tellDecisions(v.get(), said, t0);
            MemberState m = v.get().members().get(node);
            MemberState l = v.get().members().get(leader);
            return m != null && l != null && MemberState.REPLICA.equals(m.role()) && m.streaming() && m.timeline() == l.timeline();
        }, () -> new WalferryException(Failure.FAILED, node + " did not rejoin as a replica of " + leader + " within 180 s",
                "see " + dir.resolve("agent-" + node + ".log")));
    }

    /** Each member's decision in words, when it changes: what the HA loops are doing while the demo waits. */
    private void tellDecisions(StoreView v, Map<String, String> said, long t0) {
        for (MemberState m : v.members().values()) {
            if (m.decision() != null && !m.decision().equals(said.put(m.node(), m.decision()))) {
                view.say(String.format("  %5.1f s  %s: %s", since(t0), m.node(), m.decision()));
            }
        }
    }

    private static Optional<StoreView> read(ClusterStore store) {
        try {
            return Optional.of(store.read());
        } catch (StoreUnavailable e) {
            return Optional.empty();
        }
    }

    private long awaitPresent(NodeConfig n, long[] ids, Duration timeout) {
        long[] have = {-1};
        Deadline.after(timeout).lookingEvery(Duration.ofMillis(500)).await(() -> {
            try (Connection c = pg.connect(n)) {
                have[0] = DemoOrders.present(c, ids);
            } catch (SQLException | WalferryException e) {
                // not reachable for a moment: try again until the deadline
            }
            return have[0] == ids.length;
        });
        return have[0];
    }

    private interface Step {
        void on(Connection c) throws SQLException;
    }

    private void on(NodeConfig n, Step step) {
        try (Connection c = pg.connect(n)) {
            step.on(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("on " + n.name() + ": " + e.getMessage(), null, e);
        }
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * A client of the cluster: one row per transaction through the router, reconnecting when its connection is ended;
     * a row counts once its commit returned. A failed insert may or may not have committed: it is not counted.
     */
    private static final class Writer implements AutoCloseable {
        private final List<Long> acked = new ArrayList<>();
        private final Map<Integer, Integer> byPort = new HashMap<>();
        private final Map<Integer, Long> firstAckNanos = new HashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicReference<String> lastError = new AtomicReference<>("none");
        private final Thread thread;

        Writer(java.util.function.Supplier<Connection> connect) {
            thread = Thread.ofPlatform().name("demo-failover-writer").daemon().start(() -> {
                while (running.get()) {
                    try (Connection c = connect.get()) {
                        while (running.get()) {
                            DemoOrders.Acknowledged a = DemoOrders.insertOne(c);
                            synchronized (this) {
                                acked.add(a.id());
                                byPort.merge(a.serverPort(), 1, Integer::sum);
                                firstAckNanos.putIfAbsent(a.serverPort(), System.nanoTime());
                            }
                        }
                    } catch (SQLException | WalferryException e) {
                        lastError.set(e.getMessage());
                        pause();
                    }
                }
            });
        }

        /** A client's retry interval while no node is the primary. */
        private void pause() {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }

        synchronized int count() {
            return acked.size();
        }

        synchronized int countOn(int port) {
            return byPort.getOrDefault(port, 0);
        }

        synchronized long firstAckOn(int port) {
            return firstAckNanos.getOrDefault(port, 0L);
        }

        synchronized long[] acknowledged() {
            return acked.stream().mapToLong(Long::longValue).toArray();
        }

        String lastError() {
            return lastError.get();
        }

        void stop() {
            running.set(false);
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
