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
public record ArchivingSetup(String walLevel, String archiveMode, String archiveCommand, int maxWalSenders, List<String> replicationRoles,
                             boolean walLogHints, boolean dataChecksums) {
    public ArchivingSetup {
        replicationRoles = List.copyOf(replicationRoles);
    }

    /** As above, with wal_log_hints and data checksums on (what pg_rewind needs). */
    public ArchivingSetup(String walLevel, String archiveMode, String archiveCommand, int maxWalSenders, List<String> replicationRoles) {
        this(walLevel, archiveMode, archiveCommand, maxWalSenders, replicationRoles, true, true);
    }

    public static ArchivingSetup read(Connection c) {
        try {
            Map<String, String> s = ServerSettings.read(c, List.of("wal_level", "archive_mode", "archive_command", "max_wal_senders",
                    "wal_log_hints", "data_checksums"));
            return new ArchivingSetup(s.get("wal_level"), s.get("archive_mode"), s.get("archive_command"),
                    Integer.parseInt(s.get("max_wal_senders")), ReplicationReadiness.replicationRoles(c), "on".equals(s.get("wal_log_hints")),
                    "on".equals(s.get("data_checksums")));
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot read the server's archiving settings: " + e.getMessage(), null, e);
        }
    }
}
