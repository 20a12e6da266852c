package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
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
        try (Statement st = c.createStatement()) {
            Map<String, String> s = new HashMap<>();
            try (ResultSet r = st.executeQuery("select name, setting from pg_settings where name in "
                    + "('wal_level', 'archive_mode', 'archive_command', 'max_wal_senders')")) {
                while (r.next()) {
                    s.put(r.getString(1), r.getString(2));
                }
            }
            List<String> roles = new ArrayList<>();
            try (ResultSet r = st.executeQuery("select rolname from pg_roles where rolreplication and rolcanlogin order by 1")) {
                while (r.next()) {
                    roles.add(r.getString(1));
                }
            }
            return new ArchivingSetup(s.get("wal_level"), s.get("archive_mode"), s.get("archive_command"),
                    Integer.parseInt(s.get("max_wal_senders")), roles);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot read the server's archiving settings: " + e.getMessage(), null, e);
        }
    }
}
