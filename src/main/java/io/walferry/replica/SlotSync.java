package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.logical.LogicalSlots;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What a streaming standby needs to keep copies of its primary's failover slots (PostgreSQL 17): the slot sync worker
 * on, hot standby feedback (so the primary keeps the rows the copies still need), a database in primary_conninfo (the
 * worker reads the primary's slots over SQL), and primary_slot_name (walferry always sets one). Set when some logical
 * stream's source is a node of the cluster and the primary runs PostgreSQL 17 or later: a promoted standby then has the
 * stream's slot, and the stream goes on from it. Pure.
 */
public final class SlotSync {
    private SlotSync() {
    }

    public static boolean wanted(WalferryConfig config, int primaryMajor) {
        return primaryMajor >= LogicalSlots.FAILOVER_SLOTS && config.logical().stream().anyMatch(l -> l.source().node().isPresent());
    }

    /** As {@link #wanted(WalferryConfig, int)}, asking the primary its version (none wanted when it cannot be asked). */
    public static boolean wanted(WalferryConfig config, PgConnector pg, NodeConfig primary) {
        if (config.logical().isEmpty()) {
            return false;
        }
        try (Connection c = pg.connect(primary)) {
            return wanted(config, c.getMetaData().getDatabaseMajorVersion());
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /** The settings, as name and value. */
    public static List<List<String>> settings() {
        return List.of(List.of("sync_replication_slots", "on"), List.of("hot_standby_feedback", "on"));
    }

    /** The settings as lines of a configuration file. */
    public static List<String> lines() {
        return settings().stream().map(s -> s.get(0) + " = " + s.get(1)).toList();
    }
}
