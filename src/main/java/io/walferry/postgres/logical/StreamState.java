package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A stream's state, kept on its target in {@code walferry.logical_stream}: what create made there, and the source
 * position applied so far. The position is written in the same target transaction as the changes it covers, so the
 * target alone knows where to resume after a crash of anything.
 *
 * @param source         the source as the configuration named it when the stream was created (a slot belongs to one source)
 * @param tables         the tables create made on the target, quoted (what a create that restarts an interrupted copy drops)
 * @param consistentLsn  where the copy's snapshot meets the stream
 * @param appliedLsn     the end of the last source transaction applied (the copy's consistent point before the first)
 * @param appliedCommit  the source's commit time of that transaction
 * @param rowsPerSecond  rows applied per second, measured over the last seconds by the process that applies
 * @param lastError      why the stream stopped, until it runs again
 * @param applier        the process applying the stream now (host and pid) while it runs
 */
public record StreamState(String stream, String slot, String publication, String source, Phase phase, List<String> tables,
                          Optional<Lsn> consistentLsn, Optional<Lsn> appliedLsn, Optional<Instant> appliedCommit, long transactions,
                          long rows, double rowsPerSecond, double transactionsPerSecond, Optional<String> lastError,
                          Optional<String> applier, Instant updatedAt, Instant now) {
    public StreamState {
        tables = List.copyOf(tables);
    }

    public enum Phase {
        /** create is copying (or stopped while it copied: the next create starts the copy again). */
        COPYING,
        /** The copy is complete; changes are applied from {@code appliedLsn} on. */
        STREAMING,
        /** cutover completed: nothing is applied any more. */
        CUT_OVER
    }

    private static final String TABLE = "walferry.logical_stream";

    /** Creates the schema and the table unless they exist (the target role needs CREATE on the database the first time). */
    public static void ensureTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
                return;
            }
            s.execute("create schema if not exists walferry");
            s.execute("create table if not exists " + TABLE + " (stream text primary key, slot text not null, publication text not null, "
                    + "source text not null, phase text not null, tables text[] not null, consistent_lsn pg_lsn, applied_lsn pg_lsn, "
                    + "applied_commit timestamptz, transactions bigint not null default 0, rows bigint not null default 0, "
                    + "rows_per_second double precision not null default 0, transactions_per_second double precision not null default 0, "
                    + "last_error text, applier text, updated_at timestamptz not null default now())");
        }
    }

    /** The stream's state; empty when the target holds none (or not even the table). */
    public static Optional<StreamState> read(Connection c, String stream) throws SQLException {
        if (!Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            return Optional.empty();
        }
        try (PreparedStatement p = c.prepareStatement("select stream, slot, publication, source, phase, tables, consistent_lsn::text, "
                + "applied_lsn::text, applied_commit, transactions, rows, rows_per_second, transactions_per_second, last_error, applier, "
                + "updated_at, now() from " + TABLE + " where stream = ?")) {
            p.setString(1, stream);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StreamState(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                        Phase.valueOf(r.getString(5)), Arrays.asList((String[]) r.getArray(6).getArray()), lsn(r.getString(7)),
                        lsn(r.getString(8)), instant(r.getTimestamp(9)), r.getLong(10), r.getLong(11), r.getDouble(12), r.getDouble(13),
                        Optional.ofNullable(r.getString(14)), Optional.ofNullable(r.getString(15)), r.getTimestamp(16).toInstant(),
                        r.getTimestamp(17).toInstant()));
            }
        }
    }

    /** Records that create copies into these tables now (before it makes any of them), from slot and publication of this source. */
    public static void beginCopy(Connection c, String stream, String slot, String publication, String source, List<String> tables)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("insert into " + TABLE + " (stream, slot, publication, source, phase, tables) "
                + "values (?, ?, ?, ?, 'COPYING', ?) on conflict (stream) do update set slot = excluded.slot, publication = "
                + "excluded.publication, source = excluded.source, phase = excluded.phase, tables = excluded.tables, consistent_lsn = null, "
                + "applied_lsn = null, applied_commit = null, transactions = 0, rows = 0, last_error = null, updated_at = now()")) {
            p.setString(1, stream);
            p.setString(2, slot);
            p.setString(3, publication);
            p.setString(4, source);
            p.setArray(5, c.createArrayOf("text", tables.toArray()));
            p.executeUpdate();
        }
    }

    /** The copy is complete: changes are applied from {@code consistentLsn} on. */
    public static void finishCopy(Connection c, String stream, Lsn consistentLsn) throws SQLException {
        Sql.run(c, "set synchronous_commit = on");
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set phase = 'STREAMING', consistent_lsn = ?::pg_lsn, "
                + "applied_lsn = ?::pg_lsn, updated_at = now() where stream = ? and phase = 'COPYING'")) {
            p.setString(1, consistentLsn.toString());
            p.setString(2, consistentLsn.toString());
            p.setString(3, stream);
            if (p.executeUpdate() != 1) {
                throw new SQLException("the state of stream " + stream + " on the target changed while it was copied");
            }
        }
    }

    /**
     * In the caller's transaction: moves the applied position from {@code previous} to {@code applied}. False when the row
     * does not say {@code previous} any more: another process applied to this stream meanwhile, and the caller must roll
     * back.
     */
    public static boolean advance(Connection c, String stream, Lsn previous, Lsn applied, Instant commitTime, long transactions, long rows,
                                  double rowsPerSecond, double transactionsPerSecond) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set applied_lsn = ?::pg_lsn, applied_commit = ?, "
                + "transactions = transactions + ?, rows = rows + ?, rows_per_second = ?, transactions_per_second = ?, last_error = null, "
                + "updated_at = now() where stream = ? and phase = 'STREAMING' and applied_lsn = ?::pg_lsn")) {
            p.setString(1, applied.toString());
            p.setTimestamp(2, Timestamp.from(commitTime));
            p.setLong(3, transactions);
            p.setLong(4, rows);
            p.setDouble(5, rowsPerSecond);
            p.setDouble(6, transactionsPerSecond);
            p.setString(7, stream);
            p.setString(8, previous.toString());
            return p.executeUpdate() == 1;
        }
    }

    /** In the caller's transaction: a write to the stream's row that changes nothing it records (a commit to wait for). */
    public static void touch(Connection c, String stream) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set updated_at = now() where stream = ?")) {
            p.setString(1, stream);
            p.executeUpdate();
        }
    }

    /** Who applies the stream now (empty: nobody), and why it stopped last, on its own transaction. */
    public static void recordRunner(Connection c, String stream, Optional<String> applier, Optional<String> lastError) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set applier = ?, last_error = coalesce(?, last_error), "
                + "rows_per_second = case when ? is null then 0 else rows_per_second end, "
                + "transactions_per_second = case when ? is null then 0 else transactions_per_second end, updated_at = now() where stream = ? "
                // a stream cut over keeps no error of the process that applied it until then
                + "and (?::text is null or phase <> 'CUT_OVER')")) {
            p.setString(1, applier.orElse(null));
            p.setString(2, lastError.orElse(null));
            p.setString(3, applier.orElse(null));
            p.setString(4, applier.orElse(null));
            p.setString(5, stream);
            p.setString(6, lastError.orElse(null));
            p.executeUpdate();
        }
    }

    /** Adds tables (quoted) to those the stream made on the target (logical sync-schema copies them; resync drops them). */
    public static void addTables(Connection c, String stream, List<String> tables) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set tables = array(select distinct unnest(tables || ?)), "
                + "updated_at = now() where stream = ?")) {
            p.setArray(1, c.createArrayOf("text", tables.toArray()));
            p.setString(2, stream);
            p.executeUpdate();
        }
    }

    public static void markCutOver(Connection c, String stream) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set phase = 'CUT_OVER', applier = null, last_error = null, "
                + "rows_per_second = 0, transactions_per_second = 0, updated_at = now() "
                + "where stream = ?")) {
            p.setString(1, stream);
            p.executeUpdate();
        }
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }

    private static Optional<Instant> instant(Timestamp t) {
        return t == null ? Optional.empty() : Optional.of(t.toInstant());
    }
}
