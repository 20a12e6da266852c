package io.walferry.router;

import io.walferry.postgres.Lsn;

import java.util.Optional;

/**
 * One auto-endpoint client's read-your-writes state: the primary's insert position after each of its transactions that
 * may have written (asked on the same server connection once the transaction ended), so that its next reads go to a
 * replica only once that replica has replayed past it. While a position is still being asked, or asking failed, its
 * reads go to the primary. Used on the router's event loop only.
 */
final class ReadYourWrites {
    /** WAL page size: a short page header is 24 bytes, the long one at a segment's start 40. */
    private static final long PAGE = 8192;

    private Optional<Lsn> mustSee = Optional.empty();
    private long asked;
    private long answered;
    private long lastLearned;
    private long lastLost;

    /** A transaction that may have written ended on the primary: its position is being asked; returns the ask's number. */
    long asking() {
        return ++asked;
    }

    /** The answer to ask {@code n}: the primary's insert position, or empty when it could not be had. */
    void answered(long n, Optional<Lsn> position) {
        answered++;
        if (position.isPresent()) {
            if (mustSee.isEmpty() || position.get().compareTo(mustSee.get()) > 0) {
                mustSee = position;
            }
            lastLearned = Math.max(lastLearned, n);
        } else {
            lastLost = Math.max(lastLost, n);
        }
    }

    /** Whether the client's reads must go to the primary now: a position is still asked, or the last asked was lost. */
    boolean unknown() {
        return answered < asked || lastLost > lastLearned;
    }

    /** The position a replica must have replayed before it serves this client's reads. */
    Optional<Lsn> mustSee() {
        return mustSee;
    }

    /**
     * Whether a replica that has replayed to {@code replayed} has every commit at or before {@code mustSee}. The
     * insert position after a record that ended at a page boundary points past the next page's header, where replay
     * stops at the boundary itself: that is caught up too.
     */
    static boolean caughtUp(Optional<Lsn> replayed, Optional<Lsn> mustSee) {
        if (mustSee.isEmpty()) {
            return true;
        }
        if (replayed.isEmpty()) {
            return false;
        }
        long r = replayed.get().value();
        long m = mustSee.get().value();
        if (Long.compareUnsigned(r, m) >= 0) {
            return true;
        }
        return r % PAGE == 0 && (m - r == 24 || m - r == 40);
    }
}
