package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PostmasterPid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the old primary take no more writes before a replica is promoted, so that two primaries are never
 * writable at once.
 *
 * <p>A server is stopped only when it is provably the old primary: its node's host is this machine and the
 * postmaster running at its data directory listens on its port (another host's primary may use the same path,
 * and so may the node being promoted). Over SQL a server cannot be stopped, only made read-only by default,
 * which a session may still override; so a primary still running elsewhere is fenced that way only with
 * {@code --force}, and otherwise has to be stopped on its own host first.
 */
final class Fencing {
    private static final Logger LOG = LoggerFactory.getLogger(Fencing.class);

    private final PgConnector pg;
    private final PgControl control;

    Fencing(PgConnector pg, PgControl control) {
        this.pg = pg;
        this.control = control;
    }

    /** How the old primary was fenced, in words for the result. */
    String fence(NodeConfig old, NodeConfig target, boolean force, Duration timeout) {
        if (runsHere(old, target)) {
            control.stop(old.dataDirectory(), "fast");
            LOG.info("stopped the old primary {} (fast shutdown sends the replicas everything it wrote)", old.name());
            return "stopped";
        }
        if (!force) {
            throw WalferryException.refused("the old primary " + old.name() + " (" + old.host() + ":" + old.port()
                    + ") still runs, and not as a server of this host that walferry can stop: promoting now would leave two primaries",
                    "stop it on its host first (pg_ctl stop -m fast), then run promote again; --force makes it read-only instead, "
                            + "which a session can still override");
        }
        readOnly(old, timeout);
        LOG.warn("the old primary {} was made read-only and its sessions ended, but it still runs: stop it on its host", old.name());
        return "read-only (still running: stop it on its host)";
    }

    /** The old primary runs here: the postmaster at its data directory is alive, listens on its port, and is not the target's. */
    private static boolean runsHere(NodeConfig old, NodeConfig target) {
        if (!ThisHost.is(old.host()) || sameDirectory(old, target)) {
            return false;
        }
        return PostmasterPid.read(old.dataDirectory()).filter(p -> p.port() == old.port() && p.alive()).isPresent();
    }

    /** Whether two nodes' data directories are one directory of this host (the target's is only here if its host is). */
    private static boolean sameDirectory(NodeConfig a, NodeConfig target) {
        if (!ThisHost.is(target.host())) {
            return false;
        }
        try {
            return Files.isSameFile(a.dataDirectory(), target.dataDirectory());
        } catch (IOException e) {
            return a.dataDirectory().toAbsolutePath().normalize().equals(target.dataDirectory().toAbsolutePath().normalize());
        }
    }

    /** Read-only by default for every new transaction, once the server has reloaded; then the sessions that were open are ended. */
    private void readOnly(NodeConfig old, Duration timeout) {
        Deadline deadline = Deadline.after(timeout);
        try (Connection c = pg.connect(old); Statement s = c.createStatement()) {
            s.execute("alter system set default_transaction_read_only = on");
            s.execute("select pg_reload_conf()");
            // A new session starts with the configuration the postmaster has loaded: once one sees it, every later one does.
            while (!newSessionReadOnly(old)) {
                deadline.pauseOr("the old primary " + old.name() + " did not reload its configuration in time", "stop it on its host, then run promote again");
            }
            // The sessions first, then one call each: in one query the planner may end this session as well.
            List<Integer> ended = new ArrayList<>();
            try (ResultSet r = s.executeQuery("select pid from pg_stat_activity where backend_type = 'client backend' "
                    + "and pid <> pg_backend_pid()")) {
                while (r.next()) {
                    ended.add(r.getInt(1));
                }
            }
            for (int pid : ended) {
                s.execute("select pg_terminate_backend(" + pid + ")");
            }
            while (!ended.isEmpty() && stillThere(s, ended)) {
                deadline.pauseOr("the sessions of the old primary " + old.name() + " did not end in time", "stop it on its host, then run promote again");
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot fence the old primary " + old.name() + ": " + e.getMessage(),
                    "stop it on its host, then run promote again", e);
        }
    }

    private boolean newSessionReadOnly(NodeConfig old) throws SQLException {
        try (Connection c = pg.connect(old); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select current_setting('default_transaction_read_only')")) {
            r.next();
            return r.getString(1).equals("on");
        }
    }

    private static boolean stillThere(Statement s, List<Integer> pids) throws SQLException {
        String list = pids.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElseThrow();
        try (ResultSet r = s.executeQuery("select count(*) from pg_stat_activity where pid in (" + list + ")")) {
            r.next();
            return r.getLong(1) > 0;
        }
    }
}
