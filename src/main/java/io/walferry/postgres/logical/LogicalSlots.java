package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/** Logical replication slots on a source: read one, create one that exports its snapshot, drop one. */
public final class LogicalSlots {
    /** The first major version whose logical slots can follow a failover (synchronized to standbys). */
    public static final int FAILOVER_SLOTS = 17;
    private LogicalSlots() {
    }

    /**
     * A slot as pg_replication_slots shows it.
     *
     * @param database      the database a logical slot decodes (empty for a physical slot)
     * @param retainedBytes the WAL it holds back: from its restart_lsn to the server's position now
     * @param safeWalSize   how much more WAL may be written before the slot is lost to max_slot_wal_keep_size (empty: no limit)
     */
    public record Slot(String name, String type, String plugin, String database, boolean active, Optional<Lsn> restartLsn,
                       Optional<Lsn> confirmedFlush, Optional<String> walStatus, Optional<Long> retainedBytes, Optional<Long> safeWalSize) {
    }

    public static Optional<Slot> read(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select slot_name, slot_type, coalesce(plugin, ''), coalesce(database, ''), active, "
                + "restart_lsn::text, confirmed_flush_lsn::text, wal_status, "
                + "case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint end, "
                + "safe_wal_size from pg_replication_slots where slot_name = ?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Slot(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getBoolean(5),
                        lsn(r.getString(6)), lsn(r.getString(7)), Optional.ofNullable(r.getString(8)),
                        Optional.ofNullable((Long) r.getObject(9)), Optional.ofNullable((Long) r.getObject(10))));
            }
        }
    }

    /**
     * A slot just created whose snapshot is exported: every transaction that committed before {@code consistentPoint} is
     * in the snapshot, every later one will be streamed. The snapshot lives as long as this replication connection
     * runs no other command; {@link #close()} ends it (the slot stays).
     */
    public record ExportedSlot(Connection connection, String name, Lsn consistentPoint, String snapshot) implements AutoCloseable {
        @Override
        public void close() throws SQLException {
            connection.close();
        }
    }

    /**
     * Creates a pgoutput slot on {@code replication} (a replication connection, which it then owns) and exports its snapshot.
     * On PostgreSQL 17 and later it is a failover slot: standbys that synchronize slots keep a copy, which a promoted
     * standby streams on from.
     */
    public static ExportedSlot createExported(Connection replication, String name) throws SQLException {
        String options = replication.getMetaData().getDatabaseMajorVersion() >= FAILOVER_SLOTS ? " (SNAPSHOT 'export', FAILOVER true)"
                : " EXPORT_SNAPSHOT";
        try (Statement s = replication.createStatement();
             ResultSet r = s.executeQuery("CREATE_REPLICATION_SLOT " + Identifiers.quote(name) + " LOGICAL pgoutput" + options)) {
            r.next();
            return new ExportedSlot(replication, r.getString("slot_name"), Lsn.parse(r.getString("consistent_point")),
                    r.getString("snapshot_name"));
        }
    }

    /**
     * A temporary pgoutput slot on {@code replication} (which it then owns) that exports its snapshot: the slot goes when
     * the connection closes. {@code logical sync-schema} copies a new table in that snapshot; the stream's own slot skips
     * that table's changes of the transactions that committed before the consistent point.
     */
    public static ExportedSlot createTemporaryExported(Connection replication, String name) throws SQLException {
        try (Statement s = replication.createStatement();
             ResultSet r = s.executeQuery("CREATE_REPLICATION_SLOT " + Identifiers.quote(name) + " TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            r.next();
            return new ExportedSlot(replication, r.getString("slot_name"), Lsn.parse(r.getString("consistent_point")),
                    r.getString("snapshot_name"));
        }
    }

    /**
     * How long the source's WAL waits, as the server measures it, between being written and the slot's client reporting
     * it flushed (pg_stat_replication.flush_lag of the slot's sender); empty while nobody streams the slot, once the
     * client has caught up for a while, or where the role may not see it.
     */
    public static Optional<Duration> flushLag(Connection c, String slot) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select extract(epoch from r.flush_lag) from pg_stat_replication r "
                + "join pg_replication_slots s on s.active_pid = r.pid where s.slot_name = ?")) {
            p.setString(1, slot);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next() || r.getObject(1) == null) {
                    return Optional.empty();
                }
                return Optional.of(Duration.ofNanos((long) (r.getDouble(1) * 1e9)));
            }
        }
    }

    /**
     * Writes a heartbeat into the source's WAL (a non-transactional logical message, which the stream receives): the
     * slot's client learns of a position past everything before it, and may confirm it, though the database it
     * decodes writes nothing. Returns the source's position after it.
     */
    public static Lsn heartbeat(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select pg_logical_emit_message(false, 'walferry.heartbeat', '')::text")) {
            r.next();
            return Lsn.parse(r.getString(1));
        }
    }

    /** Whether the slot is a failover slot; empty on a server before PostgreSQL 17 (or no such slot). */
    public static Optional<Boolean> failover(Connection c, String name) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < FAILOVER_SLOTS) {
            return Optional.empty();
        }
        try (PreparedStatement p = c.prepareStatement("select failover from pg_replication_slots where slot_name = ?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getBoolean(1)) : Optional.empty();
            }
        }
    }

    /** Makes the slot a failover slot (PostgreSQL 17), on a replication connection; the slot must not be in use. */
    public static void enableFailover(Connection replication, String name) throws SQLException {
        try (Statement s = replication.createStatement()) {
            s.execute("ALTER_REPLICATION_SLOT " + Identifiers.quote(name) + " (FAILOVER true)");
        }
    }

    /** The pid of the session that streams the slot now; empty when nobody does (or there is no such slot). */
    public static Optional<Integer> activePid(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select active_pid from pg_replication_slots where slot_name = ? and active_pid is not null")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getInt(1)) : Optional.empty();
            }
        }
    }

    /** Ends the session that streams the slot, if any (its client sees the connection end). */
    public static void disconnect(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select pg_terminate_backend(active_pid) from pg_replication_slots "
                + "where slot_name = ? and active_pid is not null")) {
            p.setString(1, name);
            p.executeQuery().close();
        }
    }

    /** Drops the slot if it exists; fails while a stream uses it. */
    public static void dropIfExists(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ?")) {
            p.setString(1, name);
            p.execute();
        }
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }
}
