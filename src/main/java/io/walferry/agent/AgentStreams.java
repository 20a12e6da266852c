package io.walferry.agent;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.logical.StreamRunner;
import io.walferry.logical.StreamServers;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.ServerSettings;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.logical.LogicalSlots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The logical streams a node's agent runs ({@code run: agent}): every {@link #PASS} it reads its own server (in recovery
 * or not) and each stream's slot, decides with {@link StreamRunRules} and starts or stops each stream's
 * {@link StreamRunner}, each on a thread of its own. The stream's source is this node (a stream follows the cluster's
 * primary; with PostgreSQL 17 failover slots it resumes there from the synchronized slot). A runner retries passing
 * failures itself (1 s, doubling to 30 s); one that stops on another failure is tried again after
 * {@link StreamRunRules#HOLD_AFTER_FAILURE}.
 */
public final class AgentStreams implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentStreams.class);
    static final Duration PASS = Duration.ofSeconds(5);
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final WalferryConfig config;
    private final NodeConfig node;
    private final PgConnector pg;
    /** Some stream's source is a node of the cluster: the primary keeps synchronized_standby_slots (PostgreSQL 17). */
    private final boolean failoverSlots;
    private final boolean haConfigured;
    private final BooleanSupplier haLeader;
    private final Map<String, Run> runs = new LinkedHashMap<>();
    private final ScheduledExecutorService timer;

    /** One stream as this agent runs it. */
    private static final class Run {
        final LogicalStreamConfig stream;
        volatile StreamRunner runner;
        volatile Thread thread;
        volatile Instant failedAt;
        String lastWhy = "";

        Run(LogicalStreamConfig stream) {
            this.stream = stream;
        }

        boolean running() {
            Thread t = thread;
            return t != null && t.isAlive();
        }
    }

    /** {@code haLeader}: whether this agent holds the HA leader key (asked only with ha configured). */
    public AgentStreams(WalferryConfig config, NodeConfig node, boolean haConfigured, BooleanSupplier haLeader) {
        this.config = config;
        this.node = node;
        this.pg = new PgConnector(config.connection());
        this.failoverSlots = config.logical().stream().anyMatch(l -> l.source().node().isPresent());
        this.haConfigured = haConfigured;
        this.haLeader = haLeader;
        for (LogicalStreamConfig s : config.logical()) {
            // a stream of mode: subscription is applied by the target's subscription: nothing for the agent to run
            if (s.run() == LogicalStreamConfig.RunBy.AGENT && s.mode() == LogicalStreamConfig.ApplyMode.WALFERRY) {
                runs.put(s.name(), new Run(s.withSourceAt(node)));
            }
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("logical-agent").daemon().factory());
        if (!runs.isEmpty() || failoverSlots) {
            timer.scheduleWithFixedDelay(this::pass, 0, PASS.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The streams this agent runs now (their source at this node), for its metrics. */
    public List<LogicalStreamConfig> running() {
        return runs.values().stream().filter(Run::running).map(r -> r.stream).toList();
    }

    private void pass() {
        try {
            Optional<Boolean> inRecovery = Optional.empty();
            Map<String, Optional<Integer>> holders = new LinkedHashMap<>();
            try (Connection c = pg.connect(node)) {
                inRecovery = Optional.of(ServerInfo.inRecovery(c));
                if (!inRecovery.get() && failoverSlots && (!haConfigured || haLeader.getAsBoolean())
                        && c.getMetaData().getDatabaseMajorVersion() >= LogicalSlots.FAILOVER_SLOTS) {
                    keepStandbySlots(c);
                }
                for (Run r : runs.values()) {
                    holders.put(r.stream.name(), r.running() ? Optional.empty() : LogicalSlots.activePid(c, r.stream.slot()));
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("logical streams: node {} cannot be read: {}", node.name(), e.getMessage());
            }
            boolean leader = haConfigured && haLeader.getAsBoolean();
            for (Run r : runs.values()) {
                StreamRunRules.Decision d = StreamRunRules.decide(new StreamRunRules.Probe(haConfigured, leader, inRecovery, r.running(),
                        holders.getOrDefault(r.stream.name(), Optional.empty()), Optional.ofNullable(r.failedAt), Instant.now()));
                act(r, d);
            }
        } catch (Throwable t) {
            LOG.error("logical streams: {} (will run again)", t.toString());
        }
    }

    /** On the primary: synchronized_standby_slots names the physical slots of the standbys that may be promoted. */
    private void keepStandbySlots(Connection c) throws SQLException {
        String wanted = StandbySlots.value(ReplicationSlots.physicalNames(c), config.nodes(), node.name(),
                n -> config.ha().map(h -> !h.member(n).noFailover()).orElse(true));
        String current = ServerSettings.current(c, "synchronized_standby_slots");
        if (!StandbySlots.same(current, wanted)) {
            ServerSettings.alterSystem(c, "synchronized_standby_slots", wanted);
            ServerSettings.reload(c);
            LOG.info("synchronized_standby_slots of node {} set to '{}' (was '{}'): logical streams wait for these standbys", node.name(),
                    wanted, current);
        }
    }

    private void act(Run r, StreamRunRules.Decision d) {
        if (!d.why().equals(r.lastWhy)) {
            LOG.info("logical stream {}: {}: {}", r.stream.name(), d.action().name().toLowerCase(), d.why());
            r.lastWhy = d.why();
        }
        switch (d.action()) {
            case START -> start(r);
            case STOP -> stop(r);
            case KEEP, WAIT -> {
            }
        }
    }

    private void start(Run r) {
        StreamRunner runner = new StreamRunner(new StreamServers(r.stream), Optional.of("agent of node " + node.name()));
        r.runner = runner;
        r.failedAt = null;
        r.thread = Thread.ofPlatform().name("logical-" + r.stream.name()).start(() -> {
            try {
                runner.run();
                LOG.info("logical stream {}: stopped", r.stream.name());
            } catch (WalferryException e) {
                r.failedAt = Instant.now();
                LOG.error("logical stream {}: {}", r.stream.name(), e.oneLine());
            } catch (RuntimeException e) {
                r.failedAt = Instant.now();
                LOG.error("logical stream {}: {}", r.stream.name(), e.toString());
            }
        });
    }

    private void stop(Run r) {
        StreamRunner runner = r.runner;
        Thread t = r.thread;
        if (runner == null || t == null) {
            return;
        }
        runner.stop();
        try {
            t.join(STOP_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.warn("logical stream {}: its runner did not stop within {} s", r.stream.name(), STOP_WAIT.toSeconds());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Run r : new ArrayList<>(runs.values())) {
            stop(r);
        }
    }
}
