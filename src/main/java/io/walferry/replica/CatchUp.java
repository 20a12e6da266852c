package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.ReplayState;
import io.walferry.postgres.ServerWal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** The wait after a replica is started (replica create, rejoin): until it replays what the primary had written. */
final class CatchUp {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);

    private CatchUp() {
    }

    /** Whether a server is in recovery, and where its replay is; empty while it does not answer. */
    private static Optional<ReplayState> replayState(PgConnector pg, NodeConfig node) {
        try (Connection c = pg.connect(node)) {
            return Optional.of(ReplayState.read(c));
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
            try (Connection c = pg.connect(primary.get())) {
                target = ServerWal.current(c);
                if (archiveFed) {
                    // The replica can only reach what is archived: close the segment that holds the target.
                    ServerWal.switchSegment(c);
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
