package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What a primary offers replicas: its WAL settings, whether walferry's role may replicate, and pg_hba.conf's replication lines. */
public record ReplicationReadiness(String walLevel, int maxWalSenders, int maxReplicationSlots, boolean roleMayReplicate,
                                   Optional<Long> hbaReplicationLines) {
    public static ReplicationReadiness read(Connection c) throws SQLException {
        String walLevel;
        int senders;
        int slots;
        boolean may;
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("select current_setting('wal_level'), current_setting('max_wal_senders')::int, "
                    + "current_setting('max_replication_slots')::int, "
                    + "(select rolreplication or rolsuper from pg_roles where rolname = current_user)")) {
                r.next();
                walLevel = r.getString(1);
                senders = r.getInt(2);
                slots = r.getInt(3);
                may = r.getBoolean(4);
            }
        }
        Optional<Long> hba;
        try {
            hba = Optional.of(Long.parseLong(Sql.one(c, "select count(*) from pg_hba_file_rules where error is null and "
                    + "'replication' = any(database)")));
        } catch (SQLException e) {
            hba = Optional.empty(); // pg_hba_file_rules is for superusers
        }
        return new ReplicationReadiness(walLevel, senders, slots, may, hba);
    }

    /** Login roles with REPLICATION, by name. */
    public static List<String> replicationRoles(Connection c) throws SQLException {
        List<String> roles = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select rolname from pg_roles where rolreplication and rolcanlogin order by 1")) {
            while (r.next()) {
                roles.add(r.getString(1));
            }
        }
        return roles;
    }
}
