package io.walferry.postgres;

import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * WAL received over a physical replication connection ({@link PgConnector#connectPhysical}) through pgjdbc's
 * replication API, from a physical slot: what the server sends, in order, and the position the receiver confirms
 * as flushed (which moves the slot's restart_lsn, so the server keeps every byte not yet confirmed).
 */
public final class WalStream implements AutoCloseable {
    /** What IDENTIFY_SYSTEM says: the system identifier, the server's timeline and its flushed WAL position. */
    public record SystemInfo(long systemIdentifier, int timeline, Lsn flushed) {
    }

    /** Bytes of WAL from {@code start} on, in order with the bytes received before. */
    public record Received(Lsn start, ByteBuffer bytes) {
        public Lsn end() {
            return new Lsn(start.value() + bytes.remaining());
        }
    }

    private final PGReplicationStream stream;

    private WalStream(PGReplicationStream stream) {
        this.stream = stream;
    }

    public static SystemInfo identify(Connection replication) throws SQLException {
        try (Statement st = replication.createStatement(); ResultSet r = st.executeQuery("IDENTIFY_SYSTEM")) {
            if (!r.next()) {
                throw new SQLException("IDENTIFY_SYSTEM returned no row");
            }
            return new SystemInfo(Long.parseUnsignedLong(r.getString("systemid")), r.getInt("timeline"), Lsn.parse(r.getString("xlogpos")));
        }
    }

    /** The history file of {@code timeline} (2 or more) as the server has it: its file name and content. */
    public static HistoryFile timelineHistory(Connection replication, int timeline) throws SQLException {
        try (Statement st = replication.createStatement(); ResultSet r = st.executeQuery("TIMELINE_HISTORY " + timeline)) {
            if (!r.next()) {
                throw new SQLException("TIMELINE_HISTORY " + timeline + " returned no row");
            }
            byte[] content = r.getMetaData().getColumnType(2) == Types.BINARY ? r.getBytes(2)
                    : r.getString(2).getBytes(StandardCharsets.UTF_8);
            return new HistoryFile(r.getString(1), content);
        }
    }

    /** A timeline history file as TIMELINE_HISTORY returns it. */
    public record HistoryFile(String fileName, byte[] content) {
    }

    /** Starts streaming the server's current timeline from {@code from}, through {@code slot}. */
    public static WalStream start(Connection replication, String slot, Lsn from) throws SQLException {
        PGReplicationStream s = replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream().physical()
                .withSlotName(slot).withStartPosition(LogSequenceNumber.valueOf(from.value()))
                .withStatusInterval(1, TimeUnit.SECONDS).start();
        return new WalStream(s);
    }

    /** The next bytes the server sent, without waiting; empty when none are there now. */
    public Optional<Received> poll() throws SQLException {
        return received(stream.readPending());
    }

    /**
     * The next bytes the server sends, waiting for them in the socket however long it takes (no timeout, so a message
     * is never cut short); the server's keepalives are answered meanwhile, with the status last confirmed. Empty once
     * the server ended the stream.
     */
    public Optional<Received> next() throws SQLException {
        return received(stream.read());
    }

    private Optional<Received> received(ByteBuffer b) {
        if (b == null) {
            return Optional.empty();
        }
        // pgjdbc gives a physical message's end as the last received position
        long end = stream.getLastReceiveLSN().asLong();
        return Optional.of(new Received(new Lsn(end - b.remaining()), b));
    }

    /**
     * Tells the server that everything before {@code flushed} is safe: the slot then keeps WAL only from there. Never
     * call it with a position before the slot's restart_lsn (the server would move the slot back to it).
     */
    public void confirm(Lsn flushed) throws SQLException {
        LogSequenceNumber lsn = LogSequenceNumber.valueOf(flushed.value());
        stream.setFlushedLSN(lsn);
        stream.setAppliedLSN(lsn);
        stream.forceUpdateStatus();
    }

    public boolean closed() {
        return stream.isClosed();
    }

    @Override
    public void close() throws SQLException {
        stream.close();
    }
}
