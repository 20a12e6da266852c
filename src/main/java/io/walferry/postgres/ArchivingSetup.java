package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * How a server is set up for archiving and replication, as check reads it: its WAL and archive settings, and the
 * login roles that may replicate.
 */
public record ArchivingSetup(String walLevel, String archiveMode, String archiveCommand, int maxWalSenders, List<String> replicationRoles) {
    public ArchivingSetup {
        replicationRoles = List.copyOf(replicationRoles);
    }

    public static ArchivingSetup read(Connection c) {
        try {
            Map<String, String> s = ServerSettings.read(c, List.of("wal_level", "archive_mode", "archive_command", "max_wal_senders"));
            return new ArchivingSetup(s.get("wal_level"), s.get("archive_mode"), s.get("archive_command"),
                    Integer.parseInt(s.get("max_wal_senders")), ReplicationReadiness.replicationRoles(c));
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot read the server's archiving settings: " + e.getMessage(), null, e);
        }
    }
}
