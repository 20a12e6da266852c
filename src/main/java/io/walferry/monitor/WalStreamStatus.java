package io.walferry.monitor;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.SynchronousNames;
import io.walferry.postgres.WalStreamState;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The WAL stream into the repositories (archive.stream) in walferry status: for each primary, its stream's slot,
 * the position every required repository holds, how far behind that is in bytes and seconds, and whether commits
 * wait for it (docs/streaming.md).
 *
 * @param synchronous with archive.synchronous: "waited for" (in synchronous_standby_names), or "DROPPED" (after
 *                    synchronous_timeout, or not added yet); null without it
 */
public record WalStreamStatus(String node, String slot, boolean active, String storedLsn, Long lagBytes, Double lagSeconds,
                              String syncState, String synchronous) {

    /** Whether it needs attention: the stream does not run, or the synchronous archive is out of the set. */
    public boolean unhealthy() {
        return !active || "DROPPED".equals(synchronous);
    }

    /** The stream of every primary that can be reached, when archive.stream is on; a node not reached is status's to show. */
    public static List<WalStreamStatus> read(WalferryConfig config, PgConnector pg) {
        List<WalStreamStatus> out = new ArrayList<>();
        if (!config.archive().stream().on()) {
            return out;
        }
        for (NodeConfig n : config.nodes()) {
            try (Connection c = pg.connect(n)) {
                if (ServerInfo.inRecovery(c)) {
                    continue;
                }
                String slot = SynchronousNames.archiveName(n.name());
                WalStreamState s = WalStreamState.read(c, slot)
                        .orElse(new WalStreamState(slot, false, java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                                java.util.Optional.empty(), false));
                out.add(new WalStreamStatus(n.name(), slot, s.active(), s.storedLsn().map(Lsn::toString).orElse(null), s.lagBytes().orElse(null),
                        lagSeconds(s).orElse(null), s.syncState().orElse(null),
                        config.archive().stream().synchronous() ? (s.inSynchronousSet() ? "waited for" : "DROPPED") : null));
            } catch (SQLException | WalferryException e) {
                // the node's row in status says why it cannot be reached
            }
        }
        return out;
    }

    /**
     * The stream's lag in seconds: 0 when every byte the primary wrote is stored (an idle primary's stream is not behind,
     * however long ago it last stored); else PostgreSQL's flush_lag of its connection, from a flush to its storage
     * confirmed; unknown while the stream is not connected. The agent's walferry_wal_stream_lag_seconds is exact in
     * every case (it samples the primary's position over time).
     */
    static java.util.Optional<Double> lagSeconds(WalStreamState s) {
        return s.lagBytes().filter(b -> b == 0).map(b -> 0.0).or(s::lagSeconds);
    }
}
