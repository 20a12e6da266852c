package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Reads a running server's identity and the settings walferry depends on. */
public final class ServerInfo {
    private ServerInfo() {
    }

    /** True for a standby or a server in archive recovery, false for a primary. */
    public static boolean inRecovery(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pg_is_in_recovery()")) {
            r.next();
            return r.getBoolean(1);
        }
    }

    /** The system identifier initdb chose, as PostgreSQL prints it. */
    public static String systemIdentifier(Connection c) throws SQLException {
        return Sql.one(c, "select system_identifier::text from pg_control_system()");
    }

    /** The timeline of the last checkpoint (a standby's last restartpoint). */
    public static int checkpointTimeline(Connection c) throws SQLException {
        return Integer.parseInt(Sql.one(c, "select timeline_id::text from pg_control_checkpoint()"));
    }

    public static ClusterIdentity identity(Connection c) {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select system_identifier, current_setting('server_version_num')::int, "
                     + "(select setting::bigint from pg_settings where name = 'wal_segment_size') from pg_control_system()")) {
            r.next();
            PgVersion v = PgVersion.fromVersionNum(r.getInt(2));
            if (!v.supported()) {
                throw WalferryException.refused("PostgreSQL " + v + " is not supported",
                        "walferry supports PostgreSQL " + PgVersion.supportedList());
            }
            return new ClusterIdentity(r.getLong(1), v, r.getLong(3));
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot read the server's identity: " + e.getMessage(),
                    "the role needs to run pg_control_system()", e);
        }
    }
}
