package io.walferry.monitor;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads the node (its server, the {@code .ready} backlog, the restore record in its data directory) every {@code every}
 * on its own thread and keeps the newest {@link NodeReading}: a scrape serves that
 * reading and waits for nothing. While the agent archives, its pushes take the cores, and a reading made at scrape time
 * waited for a core at each of its queries' round trips and at each file of the backlog (docs/benchmarks.md).
 */
final class NodeReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeReader.class);

    private final NodeConnection connection;
    private final PrimarySampler primary;
    private final Supplier<ArchiveBacklog> backlog;
    private final Supplier<Optional<RestoreState>> restore;
    private final ScheduledExecutorService timer;
    private volatile NodeReading latest;

    NodeReader(NodeConnection connection, PrimarySampler primary, Supplier<ArchiveBacklog> backlog,
               Supplier<Optional<RestoreState>> restore, Duration every) {
        this.connection = connection;
        this.primary = primary;
        this.backlog = backlog;
        this.restore = restore;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("node-reader").daemon().factory());
        timer.scheduleWithFixedDelay(this::readNow, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The newest reading; empty until the first is done. */
    Optional<NodeReading> latest() {
        return Optional.ofNullable(latest);
    }

    private void readNow() {
        try {
            latest = read();
        } catch (RuntimeException e) {
            LOG.warn("reading node {} failed: {}", connection.node().name(), e.toString());
        }
    }

    NodeReading read() {
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        Optional<NodeState> state = probe();
        Optional<NodeReading.ReplicaLag> lag = state.flatMap(s -> lag(s, primary.clock(), t0));
        Optional<NodeReading.ReplicaLag> streamLag = state.flatMap(s -> walStreamLag(s, connection.node().name(), primary.primary(),
                primary.clock(), t0));
        ArchiveBacklog b = backlog.get();
        return new NodeReading(at, (System.nanoTime() - t0) / 1e9, state, lag, b, restore.get(), streamLag);
    }

    private Optional<NodeState> probe() {
        try {
            return Optional.of(connection.use(NodeProbe::probe));
        } catch (SQLException | WalferryException e) {
            LOG.debug("node {} does not answer: {}", connection.node().name(), e.getMessage());
            return Optional.empty();
        }
    }

    /** A replica's lag at {@code nowNanos} by the primary's clock; empty on a primary or before the clock's first sample. */
    static Optional<NodeReading.ReplicaLag> lag(NodeState s, WalClock clock, long nowNanos) {
        if (!s.inRecovery() || s.replayedLsn().isEmpty()) {
            return Optional.empty();
        }
        return clock.lag(s.replayedLsn().get(), nowNanos).map(l -> {
            double seconds = l.seconds();
            if (l.atLeast() && s.replayTimestamp().isPresent()) {
                // Behind since before the agent's first sample: its missing WAL was written after its last replayed commit.
                seconds = Math.max(seconds, (s.serverTime().toEpochMilli() - s.replayTimestamp().get().toEpochMilli()) / 1000.0);
            }
            return new NodeReading.ReplicaLag(l.bytes(), seconds);
        });
    }

    /**
     * The lag of the primary {@code node}'s WAL stream into the repositories at {@code nowNanos}, by the primary's clock (as a
     * replica's lag): the stream slot's restart_lsn is what every required repository holds (docs/streaming.md). Empty on a
     * replica, without the slot, or before the clock has sampled this node as the primary.
     */
    static Optional<NodeReading.ReplicaLag> walStreamLag(NodeState s, String node, Optional<String> sampledPrimary, WalClock clock,
                                                         long nowNanos) {
        if (s.inRecovery() || !sampledPrimary.equals(Optional.of(node))) {
            return Optional.empty();
        }
        String slot = io.walferry.postgres.SynchronousNames.archiveName(node);
        return s.slots().stream().filter(x -> x.name().equals(slot)).findFirst().flatMap(NodeState.Slot::restartLsn)
                .flatMap(stored -> clock.lag(stored, nowNanos)).map(l -> new NodeReading.ReplicaLag(l.bytes(), l.seconds()));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
