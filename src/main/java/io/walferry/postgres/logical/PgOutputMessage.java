package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One message of PostgreSQL's logical replication protocol as the {@code pgoutput} plugin sends it (protocol version
 * 1: whole transactions, each sent at its commit). Relations and types are identified by the source's OIDs; a
 * {@link Relation} arrives before the first change to its table in each session and again after the table changed.
 */
public sealed interface PgOutputMessage {

    /** A transaction starts; {@code finalLsn} is where its commit record is. */
    record Begin(Lsn finalLsn, Instant commitTime, long xid) implements PgOutputMessage {
    }

    /** The transaction ends; {@code endLsn} is the end of its commit record: the position to confirm once it is applied. */
    record Commit(int flags, Lsn commitLsn, Lsn endLsn, Instant commitTime) implements PgOutputMessage {
    }

    /** The changes that follow came from another server through replication (a replication origin). */
    record Origin(Lsn lsn, String name) implements PgOutputMessage {
    }

    /**
     * A published table as the source describes it now.
     *
     * @param replicaIdentity {@code d} (primary key), {@code i} (an index), {@code f} (full row) or {@code n} (nothing)
     */
    record Relation(int oid, String schema, String name, char replicaIdentity, List<Column> columns) implements PgOutputMessage {
        public Relation {
            columns = List.copyOf(columns);
        }

        /** {@code schema} is empty for pg_catalog, as the protocol sends it. */
        public String qualifiedName() {
            return (schema.isEmpty() ? "pg_catalog" : schema) + "." + name;
        }
    }

    /** A column of a {@link Relation}; {@code key} when it is part of the replica identity. */
    record Column(String name, int typeOid, int typeModifier, boolean key) {
    }

    /** A data type that is not built in, named before the first relation that uses it. */
    record Type(int oid, String schema, String name) implements PgOutputMessage {
    }

    record Insert(int relation, TupleData row) implements PgOutputMessage {
    }

    /**
     * An update; {@code old} is present when the replica identity changed ({@link OldKind#KEY}: the identity's columns)
     * or the identity is the full row ({@link OldKind#FULL}).
     */
    record Update(int relation, Optional<OldRow> old, TupleData row) implements PgOutputMessage {
    }

    record Delete(int relation, OldRow old) implements PgOutputMessage {
    }

    record Truncate(List<Integer> relations, boolean cascade, boolean restartIdentity) implements PgOutputMessage {
        public Truncate {
            relations = List.copyOf(relations);
        }
    }

    /** A message of {@code pg_logical_emit_message} (sent with the {@code messages} option). */
    record LogicalMessage(boolean transactional, Lsn lsn, String prefix, byte[] content) implements PgOutputMessage {
    }

    /** The old values of an update or a delete. */
    record OldRow(OldKind kind, TupleData row) {
    }

    enum OldKind {
        /** The replica identity's columns (the others are null). */
        KEY,
        /** Every column (replica identity full). */
        FULL
    }

    /** The values of a row, one per column of the relation, in its order. */
    record TupleData(List<Value> values) {
        public TupleData {
            values = List.copyOf(values);
        }
    }

    /** A column's value: SQL NULL, a TOASTed value the update did not change (and did not send), text or binary. */
    record Value(Kind kind, byte[] data) {
        public static final Value NULL = new Value(Kind.NULL, null);
        public static final Value UNCHANGED_TOAST = new Value(Kind.UNCHANGED_TOAST, null);

        public String text() {
            return data == null ? null : new String(data, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    enum Kind { NULL, UNCHANGED_TOAST, TEXT, BINARY }
}
