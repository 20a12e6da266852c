package io.walferry.logical;

import io.walferry.postgres.Lsn;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The relations of a stream that {@code logical sync-schema} copied, by the source's relation OID, with the point their
 * copy was taken at, and the commit position of the source transaction being received: a change of such a relation in
 * a transaction that committed before that point is in the copy, and is skipped ({@link SchemaSyncPlan#inCopy}).
 * One session and parallel apply decode the stream each on their own; both keep this.
 */
final class CopiedRelations {
    private final Map<Integer, Lsn> copiedAt = new HashMap<>();
    private Lsn finalLsn;

    /** A transaction begins: its commit position. */
    void begin(Lsn transactionFinalLsn) {
        finalLsn = transactionFinalLsn;
    }

    /** A relation message: where sync-schema copied the table (empty: it did not). */
    void relation(int oid, Optional<Lsn> copied) {
        copied.ifPresentOrElse(at -> copiedAt.put(oid, at), () -> copiedAt.remove(oid));
    }

    /** Whether the current transaction's change of {@code relation} is in sync-schema's copy already. */
    boolean inCopy(int relation) {
        Lsn at = copiedAt.get(relation);
        return at != null && SchemaSyncPlan.inCopy(finalLsn, at);
    }
}
