package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/** The wait after a replica is started (replica create, rejoin): until it replays what the primary had written. */
final class CatchUp {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);

    private CatchUp() {
    }

    /** Whether a server is in recovery, and where its replay is; empty while it does not answer. */
    private record ReplayState(boolean inRecovery, Optional<Lsn> replayed) {
    }

    private static Optional<ReplayState> replayState(PgConnector pg, NodeConfig node) {
        try (Connection c = pg.connect(node); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select pg_is_in_recovery(), pg_last_wal_replay_lsn()")) {
            r.next();
            String replay = r.getString(2);
            return Optional.of(new ReplayState(r.getBoolean(1), replay == null ? Optional.empty() : Optional.of(Lsn.parse(replay))));
        } catch (SQLException | WalferryException e) {
            LOG.debug("replica {} not ready yet: {}", node.name(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Waits until a replica just started is in recovery and has replayed up to the primary's position now (none: any
     * position); for an archive-fed one, the primary's segment is switched so that position gets archived.
     */
    static Lsn await(PgConnector pg, NodeConfig node, boolean archiveFed, Optional<NodeConfig> primary, Duration timeout) {
        Deadline deadline = Deadline.after(timeout);
        Lsn target = null;
        if (primary.isPresent()) {
            try (Connection c = pg.connect(primary.get()); Statement s = c.createStatement()) {
                try (ResultSet r = s.executeQuery("select pg_current_wal_lsn()")) {
                    r.next();
                    target = Lsn.parse(r.getString(1));
                }
                if (archiveFed) {
                    // The replica can only reach what is archived: close the segment that holds the target.
                    s.execute("select pg_switch_wal()");
                }
            } catch (SQLException e) {
                throw WalferryException.postgres("cannot read the primary's position: " + e.getMessage(), null, e);
            }
        }
        while (true) {
            Optional<ReplayState> state = replayState(pg, node);
            if (state.isPresent() && !state.get().inRecovery()) {
                throw new WalferryException(Failure.POSTGRES, "replica " + node.name() + " is not in recovery",
                        "it left recovery: was standby.signal removed? See " + PgControl.logFile(node.dataDirectory()));
            }
            Optional<Lsn> replay = state.flatMap(ReplayState::replayed);
            if (replay.isPresent() && (target == null || replay.get().compareTo(target) >= 0)) {
                return replay.get();
            }
            deadline.pauseOr(Failure.POSTGRES, "replica " + node.name() + " did not catch up to " + target + " within " + timeout.toSeconds() + " s",
                    "see " + PgControl.logFile(node.dataDirectory()) + " and walferry status");
        }
    }
}
