package io.walferry.monitor;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.PgConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples the primary's WAL position every second into a {@link WalClock}, on one kept connection: the primary is the
 * first configured node found out of recovery, looked for again when it stops answering or goes into recovery (the
 * clock then starts again).
 */
public final class PrimarySampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimarySampler.class);
    /** Long enough for a replica that stopped replaying for a quarter of an hour to still be timed from the sample. */
    static final Duration RETENTION = Duration.ofMinutes(15);

    private final List<NodeConfig> nodes;
    private final PgConnector pg;
    private final WalClock clock = new WalClock(RETENTION);
    private final LongSupplier nanos;
    private final ScheduledExecutorService timer;
    private NodeConnection primary;
    private volatile String primaryName;

    public PrimarySampler(WalferryConfig config, PgConnector pg, Duration every) {
        this(config.nodes(), pg, System::nanoTime, every);
    }

    PrimarySampler(List<NodeConfig> nodes, PgConnector pg, LongSupplier nanos, Duration every) {
        this.nodes = List.copyOf(nodes);
        this.pg = pg;
        this.nanos = nanos;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("primary-sampler").daemon().factory());
        timer.scheduleWithFixedDelay(this::sample, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    public WalClock clock() {
        return clock;
    }

    /** The node found to be the primary at the last sample. */
    public Optional<String> primary() {
        return Optional.ofNullable(primaryName);
    }

    /** One sample now: on the known primary, else on the first node found out of recovery. */
    void sample() {
        try {
            if (primary != null) {
                long t = nanos.getAsLong();
                Optional<Lsn> lsn = position(primary);
                if (lsn.isPresent()) {
                    clock.saw(lsn.get(), t);
                    return;
                }
            }
            String before = primaryName;
            drop();
            for (NodeConfig n : nodes) {
                NodeConnection c = new NodeConnection(pg, n);
                long t = nanos.getAsLong();
                Optional<Lsn> lsn = position(c);
                if (lsn.isEmpty()) {
                    c.close();
                    continue;
                }
                if (!n.name().equals(before)) {
                    // another primary's positions are not comparable in time with the last one's
                    clock.reset();
                    LOG.info("sampling the WAL position of primary {}", n.name());
                }
                clock.saw(lsn.get(), t);
                primary = c;
                primaryName = n.name();
                return;
            }
        } catch (RuntimeException e) {
            LOG.warn("sampling the primary's WAL position failed: {}", e.toString());
        }
    }

    /** The node's WAL position; empty when it is in recovery or does not answer. */
    private static Optional<Lsn> position(NodeConnection c) {
        try {
            return c.use(NodeProbe::currentLsn);
        } catch (SQLException | WalferryException e) {
            LOG.debug("node {} does not answer: {}", c.node().name(), e.getMessage());
            return Optional.empty();
        }
    }

    private void drop() {
        if (primary != null) {
            primary.close();
            primary = null;
            primaryName = null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drop();
    }
}
