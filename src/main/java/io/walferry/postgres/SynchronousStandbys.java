package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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

    public static String configured(Connection c) throws SQLException {
        return ServerSettings.current(c, "synchronous_standby_names");
    }
}
