package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Makes this host's primary stop taking writes for good: it is stopped and fenced on disk as a standby (of the leader,
 * when there is one), and started again as one when it can follow somebody. What the HA loop does to a primary that
 * does not hold the leader key, or cannot prove it does.
 */
public final class Demotion {
    private static final Logger LOG = LoggerFactory.getLogger(Demotion.class);

    private final WalferryConfig config;
    private final PgControl control;
    private final Fencing fencing;
    private final String restoreCommand;

    public Demotion(WalferryConfig config, io.walferry.postgres.PgConnector pg, PgControl control, String restoreCommand) {
        this.config = config;
        this.control = control;
        this.fencing = new Fencing(pg, control);
        this.restoreCommand = restoreCommand;
    }

    /**
     * @param leader the member to follow, if known: without one the server stays stopped, fenced, until there is
     * @param fast   a fast shutdown (a clean end of its WAL, for a rejoin without rewind); else immediate (no time to lose)
     */
    public void demote(NodeConfig me, Optional<NodeConfig> leader, boolean fast) {
        control.stop(me.dataDirectory(), fast ? "fast" : "immediate");
        fencing.fenceOnDisk(me, leader, config.connection(), restoreCommand);
        LOG.warn("demoted {}: stopped, and fenced as a standby{}", me.name(), leader.map(l -> " of " + l.name()).orElse(""));
        if (leader.isPresent()) {
            control.start(me.dataDirectory());
        }
    }
}
