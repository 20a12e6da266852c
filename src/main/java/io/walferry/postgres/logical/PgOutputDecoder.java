package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.PgOutputMessage.Column;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the messages of the {@code pgoutput} plugin, protocol version 1 (PostgreSQL's "Logical Replication Message
 * Formats"). Pure: bytes in, a {@link PgOutputMessage} out; anything malformed or unknown is an
 * {@link IllegalArgumentException} saying what and where, never a partly read message.
 */
public final class PgOutputDecoder {
    /** PostgreSQL's epoch for timestamps: 2000-01-01 00:00:00 UTC, in microseconds after the Unix epoch. */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    private PgOutputDecoder() {
    }

    /** One message: {@code buffer} from its position to its limit (the payload of one XLogData message). */
    public static PgOutputMessage decode(ByteBuffer buffer) {
        ByteBuffer b = buffer.slice();
        char type = (char) b.get(0);
        try {
            b.position(1);
            PgOutputMessage m = switch (type) {
                case 'B' -> new PgOutputMessage.Begin(lsn(b), time(b), Integer.toUnsignedLong(b.getInt()));
                case 'C' -> new PgOutputMessage.Commit(b.get(), lsn(b), lsn(b), time(b));
                case 'O' -> new PgOutputMessage.Origin(lsn(b), string(b));
                case 'R' -> relation(b);
                case 'Y' -> new PgOutputMessage.Type(b.getInt(), string(b), string(b));
                case 'I' -> insert(b);
                case 'U' -> update(b);
                case 'D' -> delete(b);
                case 'T' -> truncate(b);
                case 'M' -> message(b);
                default -> throw new IllegalArgumentException("unknown pgoutput message type '" + printable(type) + "'");
            };
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes left over after pgoutput message '" + type + "'");
            }
            return m;
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("pgoutput message '" + printable(type) + "' ends early (" + b.limit() + " bytes)", e);
        }
    }

    private static PgOutputMessage.Relation relation(ByteBuffer b) {
        int oid = b.getInt();
        String schema = string(b);
        String name = string(b);
        char identity = (char) b.get();
        int n = b.getShort();
        List<Column> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean key = (b.get() & 1) != 0;
            columns.add(new Column(string(b), b.getInt(), b.getInt(), key));
        }
        return new PgOutputMessage.Relation(oid, schema, name, identity, columns);
    }

    private static PgOutputMessage.Insert insert(ByteBuffer b) {
        int relation = b.getInt();
        expect(b, 'N', "insert");
        return new PgOutputMessage.Insert(relation, tuple(b));
    }

    private static PgOutputMessage.Update update(ByteBuffer b) {
        int relation = b.getInt();
        char next = (char) b.get();
        Optional<OldRow> old = Optional.empty();
        if (next == 'K' || next == 'O') {
            old = Optional.of(new OldRow(next == 'K' ? OldKind.KEY : OldKind.FULL, tuple(b)));
            next = (char) b.get();
        }
        if (next != 'N') {
            throw new IllegalArgumentException("update of relation " + relation + ": expected 'N', got '" + printable(next) + "'");
        }
        return new PgOutputMessage.Update(relation, old, tuple(b));
    }

    private static PgOutputMessage.Delete delete(ByteBuffer b) {
        int relation = b.getInt();
        char kind = (char) b.get();
        if (kind != 'K' && kind != 'O') {
            throw new IllegalArgumentException("delete of relation " + relation + ": expected 'K' or 'O', got '" + printable(kind) + "'");
        }
        return new PgOutputMessage.Delete(relation, new OldRow(kind == 'K' ? OldKind.KEY : OldKind.FULL, tuple(b)));
    }

    private static PgOutputMessage.Truncate truncate(ByteBuffer b) {
        int n = b.getInt();
        int options = b.get();
        List<Integer> relations = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            relations.add(b.getInt());
        }
        return new PgOutputMessage.Truncate(relations, (options & 1) != 0, (options & 2) != 0);
    }

    private static PgOutputMessage.LogicalMessage message(ByteBuffer b) {
        boolean transactional = (b.get() & 1) != 0;
        Lsn lsn = lsn(b);
        String prefix = string(b);
        byte[] content = new byte[b.getInt()];
        b.get(content);
        return new PgOutputMessage.LogicalMessage(transactional, lsn, prefix, content);
    }

    private static TupleData tuple(ByteBuffer b) {
        int n = b.getShort();
        List<Value> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            char kind = (char) b.get();
            values.add(switch (kind) {
                case 'n' -> Value.NULL;
                case 'u' -> Value.UNCHANGED_TOAST;
                case 't', 'b' -> {
                    int length = b.getInt();
                    if (length < 0 || length > b.remaining()) {
                        throw new IllegalArgumentException("column " + (i + 1) + " claims " + length + " bytes, " + b.remaining() + " are left");
                    }
                    byte[] data = new byte[length];
                    b.get(data);
                    yield new Value(kind == 't' ? Kind.TEXT : Kind.BINARY, data);
                }
                default -> throw new IllegalArgumentException("column " + (i + 1) + ": unknown value kind '" + printable(kind) + "'");
            });
        }
        return new TupleData(values);
    }

    private static void expect(ByteBuffer b, char expected, String what) {
        char c = (char) b.get();
        if (c != expected) {
            throw new IllegalArgumentException(what + ": expected '" + expected + "', got '" + printable(c) + "'");
        }
    }

    private static Lsn lsn(ByteBuffer b) {
        return new Lsn(b.getLong());
    }

    private static Instant time(ByteBuffer b) {
        long micros = b.getLong() + PG_EPOCH_MICROS;
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    /** A NUL-terminated string (the protocol's String). */
    private static String string(ByteBuffer b) {
        int start = b.position();
        int end = start;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        b.get(bytes);
        b.get();
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String printable(char c) {
        return c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }
}
