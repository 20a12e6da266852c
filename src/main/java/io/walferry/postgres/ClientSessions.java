package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The client sessions of a server, other than the one asking: ended, and waited for, when a primary is fenced. */
public final class ClientSessions {
    private ClientSessions() {
    }

    public static List<Integer> others(Connection c) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pid from pg_stat_activity "
                + "where backend_type = 'client backend' and pid <> pg_backend_pid()")) {
            while (r.next()) {
                pids.add(r.getInt(1));
            }
        }
        return pids;
    }

    /** Ends each session, one call each: in one query the planner may end the asking session as well. */
    public static void terminate(Connection c, List<Integer> pids) throws SQLException {
        for (int pid : pids) {
            Sql.run(c, "select pg_terminate_backend(?)", pid);
        }
    }

    public static boolean anyAlive(Connection c, List<Integer> pids) throws SQLException {
        if (pids.isEmpty()) {
            return false;
        }
        return Long.parseLong(Sql.one(c, "select count(*) from pg_stat_activity where pid = any(?)",
                c.createArrayOf("int4", pids.toArray()))) > 0;
    }
}
