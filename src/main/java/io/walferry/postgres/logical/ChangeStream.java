package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The changes of a logical slot, as pgoutput (protocol version 1) sends them, behind walferry's own types: pgjdbc's
 * replication API reads them and answers the server's keepalives, but the position confirmed to the slot moves only
 * when {@link #confirm} says so: pgjdbc's automatic flush on keepalives is off, so nothing confirms a transaction the
 * target has not committed.
 */
public final class ChangeStream implements AutoCloseable {
    private final Connection connection;
    private final PGReplicationStream stream;
    private Lsn confirmed;

    private ChangeStream(Connection connection, PGReplicationStream stream, Lsn confirmed) {
        this.connection = connection;
        this.stream = stream;
        this.confirmed = confirmed;
    }

    /**
     * Starts streaming the slot's changes of the publication from {@code from} (transactions that committed before it are
     * not sent again) on {@code replication}, a replication connection the stream then owns.
     *
     * @param messages also send pg_logical_emit_message's messages (walferry's markers)
     */
    public static ChangeStream start(Connection replication, String slot, String publication, Lsn from, Duration statusInterval,
                                     boolean messages) throws SQLException {
        try {
            PGReplicationStream s = replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(slot)
                    .withStartPosition(LogSequenceNumber.valueOf(from.value()))
                    .withSlotOption("proto_version", 1)
                    .withSlotOption("publication_names", Identifiers.quote(publication))
                    .withSlotOption("messages", messages)
                    .withStatusInterval((int) statusInterval.toMillis(), TimeUnit.MILLISECONDS)
                    .withAutomaticFlush(false)
                    .start();
            s.setFlushedLSN(LogSequenceNumber.valueOf(from.value()));
            s.setAppliedLSN(LogSequenceNumber.valueOf(from.value()));
            return new ChangeStream(replication, s, from);
        } catch (SQLException | RuntimeException e) {
            replication.close();
            throw e;
        }
    }

    /** The next message, if one has arrived; keepalives are answered on the way. */
    public Optional<ByteBuffer> poll() throws SQLException {
        return Optional.ofNullable(stream.readPending());
    }

    /**
     * How far the server has sent: the start of the last message, or the WAL position of its last keepalive if later.
     * Once every message received is applied and committed, nothing the stream needs lies before it.
     */
    public Lsn received() {
        return new Lsn(stream.getLastReceiveLSN().asLong());
    }

    public Lsn confirmed() {
        return confirmed;
    }

    /** Tells the server that everything before {@code lsn} is applied for good; the slot may let that WAL go. */
    public void confirm(Lsn lsn) throws SQLException {
        if (lsn.compareTo(confirmed) <= 0) {
            return;
        }
        LogSequenceNumber l = LogSequenceNumber.valueOf(lsn.value());
        stream.setFlushedLSN(l);
        stream.setAppliedLSN(l);
        stream.forceUpdateStatus();
        confirmed = lsn;
    }

    @Override
    public void close() throws SQLException {
        try {
            stream.close();
        } finally {
            connection.close();
        }
    }
}
