package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Points a streaming replica at a primary, with a slot there, by reloading its primary_conninfo; an
 * archive-fed replica needs nothing, as it follows the newest timeline through the archive. Used after a
 * promotion and by {@code walferry replica repoint}.
 */
public final class Repointer {
    private final WalferryConfig config;
    private final PgConnector pg;

    public Repointer(WalferryConfig config, PgConnector pg) {
        this.config = config;
        this.pg = pg;
    }

    /** What was done, in words for the result ("NODE (streaming from PRIMARY)"). */
    public String repoint(NodeConfig replica, NodeConfig primary) {
        try (Connection c = pg.connect(replica); Statement s = c.createStatement()) {
            boolean streaming;
            try (ResultSet r = s.executeQuery("select pg_is_in_recovery(), current_setting('primary_conninfo') <> ''")) {
                r.next();
                if (!r.getBoolean(1)) {
                    throw WalferryException.refused("node " + replica.name() + " is a primary, not a replica",
                            "walferry status shows each node's role; make it a replica with walferry replica create --force");
                }
                streaming = r.getBoolean(2);
            }
            if (!streaming) {
                return replica.name() + " (archive: follows the new timeline)";
            }
            String slot = Topology.slotName(replica.name());
            boolean created;
            try (Connection p = pg.connect(primary)) {
                created = Topology.ensureSlot(p, slot);
            }
            try {
                String conninfo = ReplicaProvisioner.conninfo(primary, replica.name(), config.connection());
                s.execute("alter system set primary_conninfo = '" + conninfo.replace("'", "''") + "'");
                s.execute("alter system set primary_slot_name = '" + slot + "'");
                s.execute("select pg_reload_conf()");
            } catch (SQLException e) {
                if (created) {
                    Topology.dropSlot(pg, primary, slot);
                }
                throw e;
            }
            return replica.name() + " (streaming from " + primary.name() + ")";
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot repoint " + replica.name() + " at " + primary.name() + ": " + e.getMessage(), null, e);
        }
    }
}
