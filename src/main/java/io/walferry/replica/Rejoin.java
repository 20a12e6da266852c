package io.walferry.replica;

import io.walferry.backup.BackupCatalog;
import io.walferry.backup.BaseBackup;
import io.walferry.backup.RecoverySettingsFile;
import io.walferry.backup.TablespacePlacement;
import io.walferry.config.NodeConfig;
import io.walferry.config.Secret;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Checkpoint;
import io.walferry.postgres.ConfigValue;
import io.walferry.postgres.ControlData;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.NodeState;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PgRewind;
import io.walferry.postgres.PostmasterPid;
import io.walferry.postgres.TimelineHistory;
import io.walferry.monitor.Divergence;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns a node of this host (an old primary fenced by promote, a replica on a branch the primary does not have) into
 * a streaming replica of the current primary: with pg_rewind, which copies only what changed since the histories
 * parted (after crash recovery of a server that was not shut down cleanly), and only where that is impossible by a new
 * replica from the newest backup.
 */
public final class Rejoin {
    private static final Logger LOG = LoggerFactory.getLogger(Rejoin.class);

    /** How the node became a replica. */
    public enum How {
        /** It already streams from the primary on its timeline: nothing done. */
        ALREADY,
        /** Its WAL ends where the primary's history left it: started as a standby, no rewind needed. */
        NO_REWIND_NEEDED,
        /** pg_rewind took it back to the primary's history. */
        REWOUND,
        /** pg_rewind could not: restored from the newest backup instead. */
        RECREATED
    }

    /** What was done, and why the slower path was taken when it was ({@code note}). */
    public record Result(String node, String primary, How how, Optional<String> note, Lsn caughtUpTo, Path serverLog) {
    }

    private final WalferryConfig config;
    private final PgConnector pg;
    private final PgControl control;
    private final PgRewind rewind;
    private final String restoreCommand;

    public Rejoin(WalferryConfig config, PgConnector pg, PgControl control, PgRewind rewind, String restoreCommand) {
        this.config = config;
        this.pg = pg;
        this.control = control;
        this.rewind = rewind;
        this.restoreCommand = restoreCommand;
    }

    /**
     * @param recreateFrom the repository of the newest backup, for a new replica if pg_rewind cannot do it (read only then)
     * @param tablespaces  where that backup's tablespaces may go
     */
    public Result rejoin(NodeConfig node, Supplier<Repository> recreateFrom, TablespacePlacement tablespaces, BaseBackup.Progress progress,
                         Duration timeout) {
        if (!ThisHost.is(node.host())) {
            throw WalferryException.config("node " + node.name() + " runs on " + node.host() + ", not on this host",
                    "run walferry replica rejoin --node " + node.name() + " on " + node.host());
        }
        NodeConfig primary = new Topology(config, pg).requirePrimary(node.name());
        Path dir = node.dataDirectory();
        NodeState primaryState = probe(primary).orElseThrow(() -> WalferryException.postgres("cannot read the primary " + primary.name(),
                "check that it runs and accepts walferry's connection", null));
        if (!Files.exists(dir.resolve("global/pg_control"))) {
            throw WalferryException.refused(dir + " of node " + node.name() + " holds no cluster to rejoin",
                    "make it a replica with walferry replica create --node " + node.name());
        }
        ControlData cd = control.controlData(dir);
        if (!cd.systemIdentifier().equals(primaryState.systemIdentifier())) {
            throw WalferryException.refused("node " + node.name() + " is another cluster (system identifier " + cd.systemIdentifier()
                    + ", the primary " + primary.name() + " is " + primaryState.systemIdentifier() + ")",
                    "walferry replica create --node " + node.name() + " --force replaces it with a replica");
        }
        Optional<TimelineHistory> history = primaryState.history().or(() -> storedHistory(recreateFrom, primaryState.timeline()));
        String slot = Topology.slotName(node.name());
        boolean slotCreated = new ReplicaProvisioner(config, pg, control, null, restoreCommand, progress).createSlot(primary, slot);
        try {
            Optional<String> diverged = Optional.empty();
            boolean decided = false;
            if (running(node)) {
                Optional<NodeState> mine = probe(node);
                if (mine.isPresent() && following(mine.get(), primary, primaryState, history)) {
                    return new Result(node.name(), primary.name(), How.ALREADY, Optional.empty(), mine.get().replayedLsn().orElseThrow(),
                            PgControl.logFile(dir));
                }
                diverged = mine.flatMap(m -> diverged(m, primary, primaryState, history));
                decided = diverged.isPresent();
                LOG.info("stopping {} to rejoin it to {}", node.name(), primary.name());
                control.stop(dir, "fast");
            }
            if (!decided) {
                // First as it is: a server whose WAL ends where the primary's history left its timeline follows the new
                // timeline by itself (after crash recovery, as a standby), and needs neither a rewind nor a backup. One
                // that holds more refuses to start as a standby of the new timeline, or starts and stays behind.
                try {
                    startAsStandby(node, primary, slot);
                    diverged = awaitFollowingOrDiverged(node, primary, primaryState, history, timeout);
                } catch (WalferryException e) {
                    diverged = Optional.of("it does not start as a standby of " + primary.name() + ": " + e.getMessage());
                }
                if (diverged.isEmpty()) {
                    Lsn caughtUp = CatchUp.await(pg, node, false, Optional.of(primary), timeout);
                    return new Result(node.name(), primary.name(), How.NO_REWIND_NEEDED, Optional.empty(), caughtUp, PgControl.logFile(dir));
                }
                control.stop(dir, "fast");
            }
            LOG.info("{} has left {}'s history ({}): rewinding it", node.name(), primary.name(), diverged.get());
            clearSignals(dir);
            String source = ReplicaProvisioner.conninfo(primary, node.name(), config.connection()) + " dbname="
                    + config.connection().database() + " connect_timeout=" + Math.max(1, config.connection().connectTimeout().toSeconds());
            checkpoint(primary);
            PgRewind.Outcome r = rewind.rewind(dir, source, config.connection().password().map(Secret::reveal), primaryState.versionNum());
            if (r.rewound()) {
                LOG.info("pg_rewind of {} onto {}: {}", node.name(), primary.name(), r.why());
                try {
                    // pg_rewind copied the primary's configuration files: this node's own port and recovery settings again
                    startAsStandby(node, primary, slot);
                    Lsn caughtUp = CatchUp.await(pg, node, false, Optional.of(primary), timeout);
                    return new Result(node.name(), primary.name(), How.REWOUND, Optional.empty(), caughtUp, PgControl.logFile(dir));
                } catch (WalferryException e) {
                    r = new PgRewind.Outcome(false, false, "rewound, it still did not start as a standby: " + e.getMessage(), r.output());
                    control.stop(dir, "immediate");
                }
            }
            String note = "pg_rewind could not rewind it (" + r.why() + "): restored from the newest backup instead";
            LOG.warn("{}; pg_rewind said:\n{}", note, r.output());
            Repository repository = recreateFrom.get();
            ReplicaProvisioner.Result created = new ReplicaProvisioner(config, pg, control, repository, restoreCommand, progress)
                    .create(node, ReplicaProvisioner.Mode.STREAMING, new BackupCatalog(repository).pick(null).id(), true, tablespaces, timeout);
            return new Result(node.name(), primary.name(), How.RECREATED, Optional.of(note), created.caughtUpTo(), PgControl.logFile(dir));
        } finally {
            if (slotCreated && !running(node)) {
                Topology.dropSlot(pg, primary, slot);
            }
        }
    }

    /** Writes this node's standby settings following {@code primary} (through {@code slot}) and starts it. */
    private void startAsStandby(NodeConfig node, NodeConfig primary, String slot) {
        Path dir = node.dataDirectory();
        try {
            boolean slotSync = SlotSync.wanted(config, pg, primary);
            List<String> settings = new java.util.ArrayList<>(List.of(
                    "port = " + node.port(), "hot_standby = on",
                    "primary_conninfo = " + ConfigValue.quote(ReplicaProvisioner.conninfo(primary, node.name(), config.connection(), slotSync)),
                    "primary_slot_name = " + ConfigValue.quote(slot),
                    "restore_command = " + ConfigValue.quote(restoreCommand),
                    "recovery_target_timeline = 'latest'"));
            if (slotSync) {
                settings.addAll(SlotSync.lines());
            }
            RecoverySettingsFile.write(dir, "rejoin as a replica of " + primary.name(), settings);
            Files.deleteIfExists(dir.resolve("recovery.signal"));
            Files.writeString(dir.resolve("standby.signal"), "");
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot write the replica settings of " + dir + ": " + e.getMessage(),
                    "run rejoin as the PostgreSQL OS user", e);
        }
        control.start(dir);
    }

    /**
     * Waits until the node streams from the primary on its timeline (empty), or has replayed its own WAL past the point
     * where the primary's history left it (why: a rewind is needed).
     */
    private Optional<String> awaitFollowingOrDiverged(NodeConfig node, NodeConfig primary, NodeState primaryState,
                                                      Optional<TimelineHistory> history, Duration timeout) {
        Deadline deadline = Deadline.after(timeout);
        while (true) {
            Optional<NodeState> s = probe(node);
            if (s.isPresent()) {
                Optional<String> diverged = diverged(s.get(), primary, primaryState, history);
                if (diverged.isPresent()) {
                    return diverged;
                }
                if (following(s.get(), primary, primaryState, history)) {
                    return Optional.empty();
                }
            }
            deadline.pauseOr(Failure.POSTGRES, "node " + node.name() + " neither followed " + primary.name() + " nor could be told to have left its "
                    + "history within " + timeout.toSeconds() + " s", "see " + PgControl.logFile(node.dataDirectory()));
        }
    }

    /** Why a replica has left the primary's history (see {@link Divergence}), or empty. */
    private Optional<String> diverged(NodeState s, NodeConfig primary, NodeState primaryState, Optional<TimelineHistory> history) {
        Optional<Lsn> primaryLsn = probe(primary).flatMap(NodeState::currentLsn);
        if (!s.inRecovery()) {
            return Optional.of("it runs as a primary on timeline " + s.timeline());
        }
        if (primaryLsn.isEmpty() || s.replayedLsn().isEmpty()) {
            return Optional.empty();
        }
        return Divergence.of(primaryState.timeline(), primaryLsn.get(), history, s.timeline(), s.replayedLsn().get());
    }

    private static Optional<TimelineHistory> storedHistory(Supplier<Repository> repository, int timeline) {
        try {
            return repository.get().history(timeline);
        } catch (WalferryException e) {
            return Optional.empty();
        }
    }

    /** A replica streaming from {@code primary} on its timeline, and not past it. */
    private boolean following(NodeState s, NodeConfig primary, NodeState primaryState, Optional<TimelineHistory> history) {
        Optional<Lsn> primaryLsn = probe(primary).flatMap(NodeState::currentLsn);
        return s.inRecovery() && s.streaming() && s.timeline() == primaryState.timeline() && primaryLsn.isPresent()
                && s.replayedLsn().isPresent()
                && s.setting("primary_conninfo").contains("port=" + primary.port())
                && Divergence.of(primaryState.timeline(), primaryLsn.get(), history, s.timeline(), s.replayedLsn().get()).isEmpty();
    }

    private static void clearSignals(Path dir) {
        try {
            // In single-user mode (pg_rewind's crash recovery) a standby signal is refused: it is written again after.
            Files.deleteIfExists(dir.resolve("standby.signal"));
            Files.deleteIfExists(dir.resolve("recovery.signal"));
        } catch (IOException e) {
            throw WalferryException.refused("cannot prepare " + dir + ": " + e.getMessage(), "run rejoin as the PostgreSQL OS user");
        }
    }

    /**
     * A primary promoted moments ago may not have written its first checkpoint yet: pg_control still names the old
     * timeline, and pg_rewind would take source and target for one timeline and rewind nothing.
     */
    private void checkpoint(NodeConfig primary) {
        try (Connection c = pg.connect(primary)) {
            Checkpoint.run(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot checkpoint the primary " + primary.name() + " before pg_rewind: " + e.getMessage(),
                    "the role needs to run CHECKPOINT (superuser, or pg_checkpoint from PostgreSQL 15)", e);
        }
    }

    private boolean running(NodeConfig n) {
        return PostmasterPid.read(n.dataDirectory()).map(PostmasterPid::alive).orElse(false);
    }

    private Optional<NodeState> probe(NodeConfig n) {
        try (Connection c = pg.connect(n)) {
            return Optional.of(NodeProbe.probe(c));
        } catch (SQLException | WalferryException e) {
            LOG.debug("cannot probe {}: {}", n.name(), e.getMessage());
            return Optional.empty();
        }
    }
}
