package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parallel apply's applied set on the target, {@code walferry.logical_applied (stream, end_lsn)}: the ends of the
 * source transactions applied after the stream's position ({@link StreamState#appliedLsn}). Each target session
 * inserts its transactions' ends in the same transaction as their changes; moving the position deletes those at or
 * before it in the same transaction. A restart skips a transaction whose end is at or before the position or in the set.
 */
public final class AppliedSet {
    private static final String TABLE = "walferry.logical_applied";

    private AppliedSet() {
    }

    /** Creates the table unless it exists (in the schema walferry.logical_stream is in); commits. */
    public static void ensureTable(Connection c) throws SQLException {
        if (!Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            Sql.run(c, "create table if not exists " + TABLE + " (stream text not null, end_lsn pg_lsn not null, primary key (stream, end_lsn))");
        }
        c.commit();
    }

    /** The stream's set; empty when the table does not exist. */
    public static Set<Lsn> read(Connection c, String stream) throws SQLException {
        Set<Lsn> ends = new HashSet<>();
        if (!Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            return ends;
        }
        try (PreparedStatement p = c.prepareStatement("select end_lsn::text from " + TABLE + " where stream = ?")) {
            p.setString(1, stream);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    ends.add(Lsn.parse(r.getString(1)));
                }
            }
        }
        return ends;
    }

    /** In the caller's transaction: these transactions are applied (a second process applying them fails on the key). */
    static void insert(Connection c, String stream, List<Lsn> ends) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("insert into " + TABLE + " (stream, end_lsn) select ?, unnest(?::pg_lsn[])")) {
            p.setString(1, stream);
            p.setArray(2, c.createArrayOf("text", ends.stream().map(Lsn::toString).toArray()));
            p.executeUpdate();
        }
    }

    /**
     * Moves the stream's position from {@code previous} to {@code to}, deletes the set's rows up to it, and commits
     * synchronously: the commit is durable when this returns, and so is every commit of the target before it (the
     * target's WAL is flushed past them). Throws {@link TargetApply.PositionMoved} when the position was not {@code
     * previous} (another process applies the stream).
     */
    public static void move(Connection c, String stream, Lsn previous, Lsn to, Instant commitTime, long transactions, long rows,
                            double rowsPerSecond, double transactionsPerSecond) throws SQLException {
        Sql.run(c, "set local synchronous_commit = on");
        if (!StreamState.advance(c, stream, previous, to, commitTime, transactions, rows, rowsPerSecond, transactionsPerSecond)) {
            c.rollback();
            throw new TargetApply.PositionMoved(stream);
        }
        try (PreparedStatement p = c.prepareStatement("delete from " + TABLE + " where stream = ? and end_lsn <= ?::pg_lsn")) {
            p.setString(1, stream);
            p.setString(2, to.toString());
            p.executeUpdate();
        }
        c.commit();
    }

    /** In the caller's transaction: forgets the stream's set (a new copy starts from a new slot). */
    public static void clear(Connection c, String stream) throws SQLException {
        if (Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            Sql.run(c, "delete from " + TABLE + " where stream = ?", stream);
        }
    }
}
