package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.ServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/** Finds which configured node is the primary now: the reachable one not in recovery. */
public final class Topology {
    private static final Logger LOG = LoggerFactory.getLogger(Topology.class);

    private final WalferryConfig config;
    private final PgConnector pg;

    public Topology(WalferryConfig config, PgConnector pg) {
        this.config = config;
        this.pg = pg;
    }

    public Optional<NodeConfig> primary(String except) {
        return config.nodes().stream().filter(n -> !n.name().equals(except)).filter(this::isRunningPrimary).findFirst();
    }

    /** Whether the node's server runs and is a primary (not in recovery). */
    public boolean isRunningPrimary(NodeConfig node) {
        try (Connection c = pg.connect(node)) {
            return !ServerInfo.inRecovery(c);
        } catch (SQLException | WalferryException e) {
            return false; // not reachable or not running: not the primary we can use
        }
    }

    /**
     * The primary, for a command that acts on it when no node is named among several: the one node that runs as
     * a primary. None, or several (two writable primaries, or an old one fenced read-only), is refused.
     */
    public NodeConfig solePrimary() {
        List<NodeConfig> primaries = config.nodes().stream().filter(this::isRunningPrimary).toList();
        if (primaries.isEmpty()) {
            throw WalferryException.postgres("no node named, and none of the configured nodes (" + config.nodeNames()
                    + ") runs as a primary", "start the primary, or pass --node NAME", null);
        }
        if (primaries.size() > 1) {
            throw WalferryException.config("no node named, and " + primaries.size() + " nodes run as primaries ("
                    + primaries.stream().map(NodeConfig::name).collect(java.util.stream.Collectors.joining(", ")) + ")",
                    "pass --node NAME; walferry status shows which takes writes");
        }
        return primaries.get(0);
    }

    /**
     * Refuses a restore that would archive while a configured node is a running primary: the copy would branch the
     * cluster's history in the repositories, beside the primary that still writes it.
     */
    public void refuseArchivingCopy() {
        primary(null).ifPresent(p -> {
            throw WalferryException.refused("node " + p.name() + " is a running primary of cluster " + config.cluster()
                    + ": a restored server that archives would write a second history of it into the repositories",
                    "restore without --archive on for a copy; for a server that replaces " + p.name() + ", stop " + p.name() + " first");
        });
    }

    public NodeConfig requirePrimary(String except) {
        return primary(except).orElseThrow(() -> WalferryException.postgres("no reachable primary among the configured nodes",
                "start the primary, or check the nodes' host and port in the configuration", null));
    }

    /** Drops a slot this run created and no replica will use, so that it does not hold WAL on the primary forever. */
    static void dropSlot(PgConnector pg, NodeConfig primary, String slot) {
        try (Connection c = pg.connect(primary)) {
            ReplicationSlots.dropIfInactive(c, slot);
        } catch (SQLException | WalferryException e) {
            LOG.warn("could not drop replication slot {} on {}: {} (drop it there: select pg_drop_replication_slot('{}'))",
                    slot, primary.name(), e.getMessage(), slot);
        }
    }

    /** The name of the physical replication slot walferry keeps for a replica node. */
    public static String slotName(String node) {
        return ReplicationSlots.replicaSlotName(node);
    }
}
