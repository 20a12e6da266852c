package io.walferry.monitor;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.TimelineHistory;

import java.util.Optional;

/**
 * Whether a replica is on the primary's history: on its timeline and not past its position, or on an ancestor
 * timeline not past the point where the primary's history left it (it will follow). Otherwise the replica holds WAL
 * the primary does not have (another branch: a restored copy's timeline, a stale old primary's) and can never catch
 * up; its lag in bytes means nothing.
 */
public final class Divergence {
    private Divergence() {
    }

    /**
     * Why the replica has left the primary's history, or empty when it has not (or when it cannot be told: the
     * primary's history unreadable).
     */
    public static Optional<String> of(int primaryTimeline, Lsn primaryLsn, Optional<TimelineHistory> primaryHistory,
                                      int replicaTimeline, Lsn replayed) {
        if (replicaTimeline == primaryTimeline) {
            return replayed.compareTo(primaryLsn) > 0
                    ? Optional.of("replayed up to " + replayed + " on timeline " + replicaTimeline + ", past the primary's " + primaryLsn)
                    : Optional.empty();
        }
        if (replicaTimeline > primaryTimeline) {
            return Optional.of("follows timeline " + replicaTimeline + ", which the primary (timeline " + primaryTimeline
                    + ") does not have");
        }
        if (primaryHistory.isEmpty()) {
            return Optional.empty();
        }
        TimelineHistory h = primaryHistory.get();
        Optional<Lsn> left = h.switchpointOf(replicaTimeline);
        if (left.isEmpty()) {
            return Optional.of("follows timeline " + replicaTimeline + ", which is not in the primary's history (" + h.describe() + ")");
        }
        if (replayed.compareTo(left.get()) > 0) {
            return Optional.of("replayed timeline " + replicaTimeline + " up to " + replayed + ", past " + left.get()
                    + " where the primary's history left it (" + h.describe() + ")");
        }
        return Optional.empty();
    }
}
