package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.ServerSettings;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

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
        try (Connection c = pg.connect(replica)) {
            if (!ServerInfo.inRecovery(c)) {
                throw WalferryException.refused("node " + replica.name() + " is a primary, not a replica",
                        "walferry status shows each node's role; make it a replica with walferry replica create --force");
            }
            if (ServerSettings.current(c, "primary_conninfo").isEmpty()) {
                return replica.name() + " (archive: follows the new timeline)";
            }
            String slot = Topology.slotName(replica.name());
            boolean created;
            boolean slotSync;
            try (Connection p = pg.connect(primary)) {
                created = ReplicationSlots.ensurePhysical(p, slot);
                slotSync = SlotSync.wanted(config, p.getMetaData().getDatabaseMajorVersion());
            }
            try {
                String conninfo = ReplicaProvisioner.conninfo(primary, replica.name(), config.connection(), slotSync);
                ServerSettings.alterSystem(c, "primary_conninfo", conninfo);
                ServerSettings.alterSystem(c, "primary_slot_name", slot);
                if (slotSync) {
                    for (List<String> setting : SlotSync.settings()) {
                        ServerSettings.alterSystem(c, setting.get(0), setting.get(1));
                    }
                }
                ServerSettings.reload(c);
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
