package io.walferry.agent;

import io.walferry.config.ArchiveConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.ServerSettings;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.SynchronousNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Keeps the stream in the primary's {@code synchronous_standby_names} with {@code archive.synchronous: on}: looks every
 * {@link #LOOK} (probe), lets {@link SynchronousArchiveRules} decide, writes the composed value (act). HA's synchronous
 * mode writes the same setting; each keeps the other's part as it finds it (SynchronousNames).
 */
final class SynchronousArchive implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SynchronousArchive.class);
    private static final Duration LOOK = Duration.ofMillis(500);

    private final NodeConfig node;
    private final PgConnector connector;
    private final ArchiveConfig.Stream settings;
    private final BooleanSupplier running;
    private final String archive;

    SynchronousArchive(WalferryConfig config, NodeConfig node, BooleanSupplier running) {
        this.node = node;
        this.connector = new PgConnector(config.connection());
        this.settings = config.archive().stream();
        this.running = running;
        this.archive = SynchronousNames.archiveName(node.name());
    }

    @Override
    public void run() {
        SynchronousArchiveRules.Memory memory = SynchronousArchiveRules.Memory.start(System.nanoTime());
        String lastFailure = "";
        while (running.getAsBoolean()) {
            try (Connection c = connector.connect(node)) {
                while (running.getAsBoolean()) {
                    if (ServerInfo.inRecovery(c)) {
                        memory = SynchronousArchiveRules.Memory.start(System.nanoTime());
                    } else {
                        memory = look(c, memory);
                    }
                    lastFailure = "";
                    Thread.sleep(LOOK);
                }
            } catch (SQLException | WalferryException e) {
                String m = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                if (!m.equals(lastFailure)) {
                    LOG.warn("synchronous archive: cannot look at node {}: {}", node.name(), m);
                    lastFailure = m;
                }
                sleep(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private SynchronousArchiveRules.Memory look(Connection c, SynchronousArchiveRules.Memory memory) throws SQLException {
        Optional<ReplicationSlots.Held> slot = ReplicationSlots.held(c, archive);
        var probe = new SynchronousArchiveRules.Probe(SynchronousNames.parse(ServerSettings.current(c, "synchronous_standby_names")),
                slot.map(ReplicationSlots.Held::active).orElse(false), slot.flatMap(ReplicationSlots.Held::restart), ServerWal.flushPosition(c));
        long now = System.nanoTime();
        var action = SynchronousArchiveRules.decide(archive, probe, memory, now, settings.synchronousTimeout(), settings.withStandbys());
        if (action.kind() == SynchronousArchiveRules.Kind.NONE) {
            return memory.after(probe, now);
        }
        ServerSettings.alterSystem(c, "synchronous_standby_names", action.value());
        ServerSettings.reload(c);
        boolean dropped = action.kind() == SynchronousArchiveRules.Kind.DROP;
        if (dropped) {
            LOG.warn("synchronous archive: dropped from synchronous_standby_names (now '{}'): {}", action.value(), action.why());
        } else {
            LOG.info("synchronous archive: synchronous_standby_names = '{}': {}", action.value(), action.why());
        }
        return memory.after(probe, now).dropped(dropped);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
