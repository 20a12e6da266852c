package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Checkpoint;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.replica.Demotion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * A planned handover, done by the leader: a checkpoint (so the shutdown's is short), a clean stop (the walsenders send
 * every record to the streaming standbys before the server goes), the target's API holding all of it, then the leader
 * key handed over to the target alone, and this node started as its standby. No acknowledged write is lost, and the old
 * primary follows without a rewind. If the target does not get all of it in time, this node starts again as the primary.
 */
final class Switchover {
    private static final Logger LOG = LoggerFactory.getLogger(Switchover.class);

    private final WalferryConfig config;
    private final PgConnector pg;
    private final PgControl control;
    private final ClusterStore store;
    private final MemberApiClient members;
    private final String restoreCommand;

    Switchover(WalferryConfig config, PgConnector pg, PgControl control, ClusterStore store, MemberApiClient members, String restoreCommand) {
        this.config = config;
        this.pg = pg;
        this.control = control;
        this.store = store;
        this.members = members;
        this.restoreCommand = restoreCommand;
    }

    void handOver(NodeConfig me, NodeConfig to, HaConfig ha) throws StoreUnavailable {
        try (Connection c = pg.connect(me)) {
            Checkpoint.run(c);
        } catch (SQLException | WalferryException e) {
            LOG.warn("switchover: no checkpoint before the stop ({}); it takes longer", e.getMessage());
        }
        long t0 = System.nanoTime();
        control.stop(me.dataDirectory(), "fast");
        Lsn end = control.controlData(me.dataDirectory()).walEnd();
        String api = ha.api().scheme() + "://" + to.host() + ":" + ha.member(to.name()).apiPort();
        Deadline deadline = Deadline.after(ha.retryTimeout().multipliedBy(3)).lookingEvery(Duration.ofMillis(100));
        Optional<Lsn> held = members.wal(api);
        while (held.isEmpty() || held.get().compareTo(end) < 0) {
            if (deadline.passed()) {
                LOG.error("switchover to {} abandoned: it holds WAL up to {}, this primary's ends at {}; starting again as the primary",
                        to.name(), held.map(Lsn::toString).orElse("unknown"), end);
                control.start(me.dataDirectory());
                throw new WalferryException(Failure.FAILED, "switchover to " + to.name() + " abandoned: it did not receive all WAL in time",
                        "check its replication, then ask again");
            }
            deadline.pause();
            held = members.wal(api);
        }
        store.releaseLeader(me.name(), Optional.of(to.name()));
        LOG.warn("switchover: {} holds all WAL up to {}; handed the leader key over after {} ms of no writes", to.name(), end,
                (System.nanoTime() - t0) / 1_000_000);
        new Demotion(config, pg, control, restoreCommand).demote(me, Optional.of(to), true);
    }
}
