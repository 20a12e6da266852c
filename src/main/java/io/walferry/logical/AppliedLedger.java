package io.walferry.logical;

import io.walferry.postgres.Lsn;

import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parallel apply's bookkeeping of the stream's position P and the applied set S on the target. Every source
 * transaction that ends at or before P is applied; after P, exactly those whose end is in S are (each lane's commit
 * inserts its transactions' ends into S in the same target transaction). A restart skips both. The transactions handed
 * out are kept in source order; P may move to the end of the longest prefix of them that has committed (the move, a
 * synchronous commit, also deletes S's rows up to it and makes every commit before it durable). Pure; synchronized,
 * because lanes' senders note their commits while the stream's thread reads.
 */
final class AppliedLedger {
    /** A transaction handed out (or found applied) after P: its rows, commit time, and whether it has committed. */
    private static final class Entry {
        final long transactions;
        final long rows;
        final Instant commitTime;
        boolean committed;

        Entry(long transactions, long rows, Instant commitTime, boolean committed) {
            this.transactions = transactions;
            this.rows = rows;
            this.commitTime = commitTime;
            this.committed = committed;
        }
    }

    /** P may move to {@code to}: the transactions and rows applied since the last move, and the last one's commit time. */
    record Move(Lsn to, long transactions, long rows, Instant commitTime) {
    }

    private Lsn position;
    private final Set<Lsn> applied;
    private final LinkedHashMap<Lsn, Entry> entries = new LinkedHashMap<>();

    /** @param applied the applied set S as read from the target (ends after P) */
    AppliedLedger(Lsn position, Set<Lsn> applied) {
        this.position = position;
        this.applied = new HashSet<>(applied);
    }

    synchronized Lsn position() {
        return position;
    }

    /** Whether the transaction that ends at {@code end} is on the target already: skip it. */
    synchronized boolean applied(Lsn end) {
        return end.compareTo(position) <= 0 || applied.contains(end);
    }

    /** A transaction found applied ({@link #applied}) or with nothing to apply: P may move past it. */
    synchronized void done(Lsn end, long transactions, Instant commitTime) {
        add(end, new Entry(transactions, 0, commitTime, true));
    }

    /** A transaction handed to a lane (in source order). */
    synchronized void dispatched(Lsn end, long rows, Instant commitTime) {
        add(end, new Entry(1, rows, commitTime, false));
    }

    private void add(Lsn end, Entry e) {
        if (end.compareTo(position) <= 0 || entries.containsKey(end)) {
            throw new IllegalStateException("transaction ending at " + end + " handed out twice");
        }
        entries.put(end, e);
    }

    /** A lane's commit with these transactions is done on the target (visible; durable once P moves past them). */
    synchronized void committed(List<Lsn> ends) {
        for (Lsn end : ends) {
            Entry e = entries.get(end);
            if (e == null) {
                throw new IllegalStateException("transaction ending at " + end + " committed but not handed out");
            }
            e.committed = true;
        }
    }

    /** Where P may move now: the end of the longest committed prefix; empty when its first is not committed. */
    synchronized Optional<Move> movable() {
        Lsn to = null;
        long transactions = 0;
        long rows = 0;
        Instant commitTime = null;
        for (Map.Entry<Lsn, Entry> e : entries.entrySet()) {
            if (!e.getValue().committed) {
                break;
            }
            to = e.getKey();
            transactions += e.getValue().transactions;
            rows += e.getValue().rows;
            commitTime = e.getValue().commitTime;
        }
        return to == null ? Optional.empty() : Optional.of(new Move(to, transactions, rows, commitTime));
    }

    /** P moved on the target (and S's rows up to it were deleted there). */
    synchronized void moved(Move m) {
        Iterator<Map.Entry<Lsn, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Lsn, Entry> e = it.next();
            if (e.getKey().compareTo(m.to()) > 0) {
                break;
            }
            it.remove();
        }
        applied.removeIf(end -> end.compareTo(m.to()) <= 0);
        position = m.to();
    }

    /** Nothing handed out is waiting for P. */
    synchronized boolean settled() {
        return entries.isEmpty();
    }
}
