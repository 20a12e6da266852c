package io.walferry.replica;

import io.walferry.backup.RecoverySettingsFile;
import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClientSessions;
import io.walferry.postgres.ConfigValue;
import io.walferry.postgres.ControlData;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PostmasterPid;
import io.walferry.postgres.ServerSettings;
import io.walferry.postgres.ServerWal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Makes the old primary take no more writes before a replica is promoted, and finds where its WAL ends, so
 * that two primaries are never writable at once and the promoted node can be held to every write the old one
 * acknowledged.
 *
 * <p>A server is stopped only when it is provably the old primary: its node's host is this machine and the
 * postmaster running at its data directory listens on its port (another host's primary may use the same path,
 * and so may the node being promoted). Over SQL a server cannot be stopped, only made read-only by default,
 * which a session may still override; so a primary still running elsewhere is fenced that way only with
 * {@code --force}, and otherwise has to be stopped on its own host first.
 */
final class Fencing {
    private static final Logger LOG = LoggerFactory.getLogger(Fencing.class);

    /** How the old primary was fenced, in words for the result, and where its WAL ends (empty: unknown). */
    record Fence(String how, Optional<Lsn> walEnd) {
    }

    private final PgConnector pg;
    private final PgControl control;

    Fencing(PgConnector pg, PgControl control) {
        this.pg = pg;
        this.control = control;
    }

    Fence fence(NodeConfig old, NodeConfig target, boolean force, Duration timeout) {
        return switch (PromotionRules.fence(runsHere(old, target), force)) {
            case STOP_HERE -> {
                control.stop(old.dataDirectory(), "fast");
                ControlData cd = control.controlData(old.dataDirectory());
                if (!cd.shutDownCleanly()) {
                    throw new WalferryException(Failure.POSTGRES, "the old primary " + old.name() + " did not shut down cleanly "
                            + "(pg_control: " + cd.state() + "): where its WAL ends is unknown", "start it, then run promote again");
                }
                LOG.info("stopped the old primary {}: its WAL ends at {}", old.name(), cd.walEnd());
                yield new Fence("stopped", Optional.of(cd.walEnd()));
            }
            case REFUSE -> throw WalferryException.refused("the old primary " + old.name() + " (" + old.host() + ":" + old.port()
                    + ") still runs, and not as a server of this host that walferry can stop: promoting now would leave two primaries",
                    "stop it on its host first (pg_ctl stop -m fast), then run promote again; --force makes it read-only instead, "
                            + "which a session can still override");
            case READ_ONLY -> {
                Lsn end = readOnly(old, timeout);
                LOG.warn("the old primary {} was made read-only and its sessions ended, but it still runs: stop it on its host", old.name());
                yield new Fence("read-only (still running: stop it on its host)", Optional.of(end));
            }
        };
    }

    /**
     * With no primary reachable: a primary of this host stopped cleanly on the target's timeline (or a later one)
     * still tells where its WAL ends; else nothing does.
     */
    Fence noneReachable(NodeConfig target, List<NodeConfig> others, String systemIdentifier, int targetTimeline) {
        Optional<Lsn> end = Optional.empty();
        List<String> names = new ArrayList<>();
        for (NodeConfig n : others) {
            if (!ThisHost.is(n.host()) || sameDirectory(n, target) || !Files.exists(n.dataDirectory().resolve("global/pg_control"))
                    || PostmasterPid.read(n.dataDirectory()).map(PostmasterPid::alive).orElse(false)) {
                continue;
            }
            ControlData cd;
            try {
                cd = control.controlData(n.dataDirectory());
            } catch (WalferryException e) {
                LOG.debug("cannot read pg_control of {}: {}", n.name(), e.getMessage());
                continue;
            }
            if (cd.shutDownCleanly() && cd.systemIdentifier().equals(systemIdentifier) && cd.timeline() >= targetTimeline) {
                names.add(n.name());
                end = end.isEmpty() || cd.walEnd().compareTo(end.get()) > 0 ? Optional.of(cd.walEnd()) : end;
            }
        }
        return end.isPresent()
                ? new Fence("stopped before (" + String.join(", ", names) + " on this host)", end)
                : new Fence("none reachable: promoted with the WAL it held and what the archive had", Optional.empty());
    }

    /** The old primary runs here: the postmaster at its data directory is alive, listens on its port, and is not the target's. */
    private static boolean runsHere(NodeConfig old, NodeConfig target) {
        if (!ThisHost.is(old.host()) || sameDirectory(old, target)) {
            return false;
        }
        return PostmasterPid.read(old.dataDirectory()).filter(p -> p.port() == old.port() && p.alive()).isPresent();
    }

    /**
     * Fences a stopped server's data directory of this host on disk: standby.signal, and walferry's recovery settings
     * following the new primary. Started by anyone, with pg_ctl or at boot, it is a standby: it never takes writes on
     * its old timeline, and it streams from the new primary if its WAL allows (else it waits in recovery for
     * walferry replica rejoin).
     */
    void fenceOnDisk(NodeConfig old, NodeConfig newPrimary, ConnectionConfig connection, String restoreCommand) {
        fenceOnDisk(old, Optional.of(newPrimary), connection, restoreCommand);
    }

    /** As above; with no primary known, it waits in recovery, following nobody until it is told whom. */
    void fenceOnDisk(NodeConfig old, Optional<NodeConfig> newPrimary, ConnectionConfig connection, String restoreCommand) {
        Path dir = old.dataDirectory();
        try {
            RecoverySettingsFile.write(dir, "fence" + newPrimary.map(p -> " after the promotion of " + p.name()).orElse(""), List.of(
                    "primary_conninfo = " + ConfigValue.quote(newPrimary.map(p -> ReplicaProvisioner.conninfo(p, old.name(), connection))
                            .orElse("")),
                    "primary_slot_name = ''",
                    "restore_command = " + ConfigValue.quote(restoreCommand),
                    "recovery_target_timeline = 'latest'",
                    // a node's own port lives only in this block (its postgresql.conf may be the node's it was copied from)
                    "port = " + old.port(), "hot_standby = on"));
            Files.deleteIfExists(dir.resolve("recovery.signal"));
            Path signal = dir.resolve("standby.signal");
            Files.writeString(signal, "");
            Files.setPosixFilePermissions(signal, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw WalferryException.refused("cannot fence the data directory " + dir + " of " + old.name() + ": " + e.getMessage()
                    + "; nothing was done", "run walferry as the PostgreSQL OS user that owns " + dir);
        }
        LOG.info("fenced {} on disk: it starts only as a standby{}", old.name(), newPrimary.map(p -> " of " + p.name()).orElse(""));
    }

    /** Whether two nodes' data directories are one directory of this host (the target's is only here if its host is). */
    static boolean sameDirectory(NodeConfig a, NodeConfig target) {
        if (!ThisHost.is(target.host())) {
            return false;
        }
        try {
            return Files.isSameFile(a.dataDirectory(), target.dataDirectory());
        } catch (IOException e) {
            return a.dataDirectory().toAbsolutePath().normalize().equals(target.dataDirectory().toAbsolutePath().normalize());
        }
    }

    /**
     * Read-only by default for every new transaction, once the server has reloaded; then the sessions that
     * were open are ended and waited for, so every write acknowledged before lies below the position read
     * after. The segment is switched so that an archive-fed replica can get that position too.
     */
    private Lsn readOnly(NodeConfig old, Duration timeout) {
        Deadline deadline = Deadline.after(timeout);
        try (Connection c = pg.connect(old)) {
            ServerSettings.alterSystem(c, "default_transaction_read_only", "on");
            ServerSettings.reload(c);
            // A new session starts with the configuration the postmaster has loaded: once one sees it, every later one does.
            while (!newSessionReadOnly(old)) {
                deadline.pauseOr(Failure.POSTGRES, "the old primary " + old.name() + " did not reload its configuration in time", "stop it on its host, then run promote again");
            }
            List<Integer> ended = ClientSessions.others(c);
            ClientSessions.terminate(c, ended);
            while (ClientSessions.anyAlive(c, ended)) {
                deadline.pauseOr(Failure.POSTGRES, "the sessions of the old primary " + old.name() + " did not end in time", "stop it on its host, then run promote again");
            }
            Lsn end = ServerWal.insertPosition(c);
            ServerWal.switchSegment(c);
            return end;
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot fence the old primary " + old.name() + ": " + e.getMessage(),
                    "stop it on its host, then run promote again", e);
        }
    }

    private boolean newSessionReadOnly(NodeConfig old) throws SQLException {
        try (Connection c = pg.connect(old)) {
            return ServerSettings.current(c, "default_transaction_read_only").equals("on");
        }
    }
}
