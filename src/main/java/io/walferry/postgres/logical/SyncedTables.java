package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tables that {@code logical sync-schema} copied into a stream that was already streaming, kept on the target in
 * {@code walferry.logical_synced_table}: each with the consistent point of the snapshot it was copied in. The stream
 * skips such a table's changes of the source transactions that committed before that point (the copy has them) and
 * applies the later ones. A table whose point is still empty is being copied (or its copy was interrupted): the stream
 * must not apply to it.
 */
public final class SyncedTables {
    private static final String TABLE = "walferry.logical_synced_table";

    private SyncedTables() {
    }

    /**
     * Takes the stream's sync-schema lock for the session (released when it ends): false when another session holds it.
     * Two at once would drop and copy each other's tables.
     */
    public static boolean lock(Connection c, String stream) throws SQLException {
        return Sql.flag(c, "select pg_try_advisory_lock(hashtext('walferry logical sync-schema ' || ?))", stream);
    }

    public static void ensureTable(Connection c) throws SQLException {
        if (!Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            Sql.run(c, "create table if not exists " + TABLE + " (stream text not null, table_name text not null, copied_lsn pg_lsn, "
                    + "primary key (stream, table_name))");
        }
    }

    /** Each table recorded for the stream, with its consistent point (empty: being copied). */
    public static Map<QualifiedName, Optional<Lsn>> read(Connection c, String stream) throws SQLException {
        Map<QualifiedName, Optional<Lsn>> out = new HashMap<>();
        if (!Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            return out;
        }
        try (PreparedStatement p = c.prepareStatement("select (parse_ident(table_name))[1], (parse_ident(table_name))[2], copied_lsn::text "
                + "from " + TABLE + " where stream = ?")) {
            p.setString(1, stream);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(new QualifiedName(r.getString(1), r.getString(2)), Optional.ofNullable(r.getString(3)).map(Lsn::parse));
                }
            }
        }
        return out;
    }

    /** The table's state for the stream: absent (not copied by sync-schema), being copied (empty), or copied at a point. */
    public static Optional<Optional<Lsn>> of(Connection c, String stream, QualifiedName table) throws SQLException {
        Map<QualifiedName, Optional<Lsn>> all = read(c, stream);
        return Optional.ofNullable(all.get(table));
    }

    /** In the caller's transaction: these tables are being copied (before they are made on the target). */
    public static void beginCopy(Connection c, String stream, List<QualifiedName> tables) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("insert into " + TABLE + " (stream, table_name) values (?, ?) "
                + "on conflict (stream, table_name) do update set copied_lsn = null")) {
            for (QualifiedName t : tables) {
                p.setString(1, stream);
                p.setString(2, Identifiers.quote(t));
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /** In the caller's transaction: the tables are copied in the snapshot at {@code consistentPoint}. */
    public static void finishCopy(Connection c, String stream, List<QualifiedName> tables, Lsn consistentPoint) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("update " + TABLE + " set copied_lsn = ?::pg_lsn where stream = ? and table_name = ?")) {
            for (QualifiedName t : tables) {
                p.setString(1, consistentPoint.toString());
                p.setString(2, stream);
                p.setString(3, Identifiers.quote(t));
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /** Forgets the stream's tables (a copy from scratch covers them: create --restart, resync). */
    public static void forget(Connection c, String stream) throws SQLException {
        if (Sql.flag(c, "select to_regclass('" + TABLE + "') is not null")) {
            try (PreparedStatement p = c.prepareStatement("delete from " + TABLE + " where stream = ?")) {
                p.setString(1, stream);
                p.executeUpdate();
            }
        }
    }
}
