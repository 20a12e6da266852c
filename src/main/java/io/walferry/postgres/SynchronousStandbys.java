package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Which standbys a primary's commits wait for now: what it was told, and who is confirming. */
public final class SynchronousStandbys {
    private SynchronousStandbys() {
    }

    /** The application names of the connected standbys in sync (or quorum) state: each commit waits for them. */
    public static List<String> confirming(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select application_name from pg_stat_replication where sync_state in ('sync', 'quorum') "
                     + "order by application_name")) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    /** How far each connected standby (by application name) has flushed the WAL it received. */
    public static Map<String, Lsn> flushed(Connection c) throws SQLException {
        Map<String, Lsn> out = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select application_name, flush_lsn::text from pg_stat_replication where flush_lsn is not null")) {
            while (r.next()) {
                out.merge(r.getString(1), Lsn.parse(r.getString(2)), (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        return out;
    }

    public static String configured(Connection c) throws SQLException {
        return ServerSettings.current(c, "synchronous_standby_names");
    }
}
