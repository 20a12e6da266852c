package io.walferry.postgres.logical;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Stopping writes to a source database for cutover: new sessions read-only, and the sessions that were there before. */
public final class SourceWrites {
    private SourceWrites() {
    }

    /**
     * A client session of the database.
     *
     * @param inTransaction it runs a statement or holds a transaction open (its work may still commit)
     */
    public record Session(int pid, String user, String application, boolean inTransaction) {
    }

    /**
     * Makes every new session of {@code database} read-only (ALTER DATABASE ... SET default_transaction_read_only) and
     * returns the source's time once that holds: sessions that started before may still write.
     */
    public static Instant makeReadOnly(Connection c, String database) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("alter database " + Identifiers.quote(database) + " set default_transaction_read_only = on");
            try (ResultSet r = s.executeQuery("select clock_timestamp()")) {
                r.next();
                return r.getTimestamp(1).toInstant();
            }
        }
    }

    /** Undoes {@link #makeReadOnly} (for the operator after a cutover that did not complete; walferry does not call it). */
    public static String undoStatement(String database) {
        return "ALTER DATABASE " + Identifiers.quote(database) + " RESET default_transaction_read_only";
    }

    /** The client sessions of {@code database} that started before {@code since}, other than this one. */
    public static List<Session> sessionsBefore(Connection c, String database, Instant since) throws SQLException {
        List<Session> sessions = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select pid, coalesce(usename, ''), coalesce(application_name, ''), "
                + "coalesce(state, '') <> 'idle' from pg_stat_activity where datname = ? and backend_type = 'client backend' "
                + "and pid <> pg_backend_pid() and backend_start < ?")) {
            p.setString(1, database);
            p.setTimestamp(2, Timestamp.from(since));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    sessions.add(new Session(r.getInt(1), r.getString(2), r.getString(3), r.getBoolean(4)));
                }
            }
        }
        return sessions;
    }

    /** Ends a session (its open transaction rolls back); false if it was gone already. */
    public static boolean terminate(Connection c, int pid) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select pg_terminate_backend(?)")) {
            p.setInt(1, pid);
            try (ResultSet r = p.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        }
    }
}
