package io.walferry.backup;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.ServerWal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * For a backup from a standby: the primary closes its current segment, so that the last one the backup needs gets
 * archived now. Asks the first other node that runs as a primary; none reachable is only a warning, since the backup
 * waits for that segment anyway.
 */
public final class PrimaryWalSwitch implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryWalSwitch.class);

    private final WalferryConfig config;
    private final NodeConfig standby;
    private final PgConnector pg;

    /** @param standby the node the backup is taken from */
    public PrimaryWalSwitch(WalferryConfig config, NodeConfig standby, PgConnector pg) {
        this.config = config;
        this.standby = standby;
        this.pg = pg;
    }

    @Override
    public void run() {
        for (NodeConfig n : config.nodes()) {
            if (n.name().equals(standby.name())) {
                continue;
            }
            try (Connection c = pg.connect(n)) {
                if (!ServerInfo.inRecovery(c)) {
                    ServerWal.switchSegment(c);
                    LOG.info("asked the primary {} to switch WAL, so that the backup's last segment is archived", n.name());
                    return;
                }
            } catch (SQLException | WalferryException e) {
                LOG.debug("node {} not usable as the primary: {}", n.name(), e.getMessage());
            }
        }
        LOG.warn("no primary reachable to switch WAL: the backup waits until its last segment is archived anyway");
    }
}
