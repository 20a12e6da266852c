package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Which of a stream's group commits on the target are durable. A group committed with synchronous_commit off is
 * visible at once but may be lost by a crash of the target until the target's WAL is flushed past its commit record;
 * only then may its source position be confirmed to the slot (as a native apply worker reports only what its server
 * has flushed). Each commit is noted with the target's WAL insert position after it; a flush position at or past that
 * makes it, and every commit before it, durable. Pure; its methods are synchronized because the sender thread notes
 * commits and flushes while the stream's thread reads the durable position.
 */
public final class DurableCommits {
    /** A commit not known durable yet: the source position it applied, the target's WAL end after it, when it was noted. */
    private record Pending(Lsn source, Lsn targetEnd, long nanos) {
    }

    private final Deque<Pending> pending = new ArrayDeque<>();
    private Lsn durable;

    /** Notes a commit made with synchronous_commit off: durable once the target's WAL is flushed to {@code targetEnd}. */
    public synchronized void committed(Lsn source, Lsn targetEnd, long nanos) {
        pending.addLast(new Pending(source, targetEnd, nanos));
    }

    /** Notes a commit that waited for the target's disk (or after which the target's WAL was flushed): it and all before it are durable. */
    public synchronized void committedDurably(Lsn source) {
        pending.clear();
        durable = source;
    }

    /** The target's WAL is flushed to {@code targetFlush}: every commit whose record ends at or before it is durable. */
    public synchronized void flushed(Lsn targetFlush) {
        while (!pending.isEmpty() && pending.peekFirst().targetEnd().compareTo(targetFlush) <= 0) {
            durable = pending.removeFirst().source();
        }
    }

    /** Every commit noted so far is durable (a synchronous commit after them flushed the target's WAL). */
    public synchronized void allFlushed() {
        if (!pending.isEmpty()) {
            durable = pending.peekLast().source();
            pending.clear();
        }
    }

    /** The source position of the last durable commit: what may be confirmed to the slot. */
    public synchronized Optional<Lsn> durable() {
        return Optional.ofNullable(durable);
    }

    public synchronized boolean pending() {
        return !pending.isEmpty();
    }

    /** When the oldest commit not known durable was noted ({@code nanos} as given); empty when none. */
    public synchronized Optional<Long> oldestPendingNanos() {
        return pending.isEmpty() ? Optional.empty() : Optional.of(pending.peekFirst().nanos());
    }
}
