package io.walferry.postgres.logical;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * What a source server offers logical replication, read once: its WAL level, free slots and senders, and what the role
 * may do. The managed services' switches are read where they exist ({@code rds.logical_replication},
 * {@code cloudsql.logical_decoding}).
 *
 * @param rdsReplicationMember empty where there is no {@code rds_replication} role (not RDS or Aurora)
 * @param mayCreate            CREATE on the database (needed to create a publication)
 */
public record SourceFacts(int versionNum, boolean inRecovery, String walLevel, int maxReplicationSlots, int usedReplicationSlots,
                          int maxWalSenders, int usedWalSenders, String role, boolean superuser, boolean replicationRole,
                          Optional<Boolean> rdsReplicationMember, boolean mayCreate, Optional<String> rdsLogicalReplication,
                          Optional<String> cloudSqlLogicalDecoding) {

    public static SourceFacts read(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select current_setting('server_version_num')::int, "
                + "pg_is_in_recovery(), current_setting('wal_level'), current_setting('max_replication_slots')::int, "
                + "(select count(*) from pg_replication_slots)::int, current_setting('max_wal_senders')::int, "
                + "(select count(*) from pg_stat_replication)::int, current_user, r.rolsuper, r.rolreplication, "
                + "case when exists (select 1 from pg_roles where rolname = 'rds_replication') "
                + "then pg_has_role(current_user, 'rds_replication', 'member') end, "
                + "has_database_privilege(current_database(), 'CREATE'), current_setting('rds.logical_replication', true), "
                + "current_setting('cloudsql.logical_decoding', true) "
                + "from pg_roles r where r.rolname = current_user")) {
            r.next();
            return new SourceFacts(r.getInt(1), r.getBoolean(2), r.getString(3), r.getInt(4), r.getInt(5), r.getInt(6), r.getInt(7),
                    r.getString(8), r.getBoolean(9), r.getBoolean(10), Optional.ofNullable((Boolean) r.getObject(11)), r.getBoolean(12),
                    Optional.ofNullable(r.getString(13)).filter(v -> !v.isEmpty()),
                    Optional.ofNullable(r.getString(14)).filter(v -> !v.isEmpty()));
        }
    }

    /** The major version, as 15 for 150004. */
    public int major() {
        return versionNum / 10000;
    }
}
