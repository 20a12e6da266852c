package io.walferry.archive;

import io.walferry.postgres.WalFileName;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the prefetcher is in replay's WAL: the {@code .from} it follows and the next segment to fetch. Its
 * methods are the prefetcher loop's decisions about what to fetch, pure functions of what it read.
 */
record PrefetchCursor(String from, WalFileName.Segment next, long segmentSize) {

    /** At the segment {@code .from} names. */
    static PrefetchCursor at(String from, long segmentSize) {
        return new PrefetchCursor(from, (WalFileName.Segment) WalFileName.parse(from), segmentSize);
    }

    /**
     * {@code .from} now says {@code asked}: when that moved, replay jumped (it missed a segment, or took another
     * timeline) and fetching goes on from there; the fetches in flight are dropped. Empty when it did not move.
     */
    Optional<PrefetchCursor> jumpedTo(String asked) {
        return asked.equals(from) ? Optional.empty() : Optional.of(at(asked, segmentSize));
    }

    /** Whether a segment handed over ({@code .taken}) tells where replay is on this cursor's timeline. */
    boolean onTimelineOf(String taken) {
        return taken.startsWith(next.fileName().substring(0, 8));
    }

    /**
     * Replay has read {@code taken} (on this timeline): a fetch restarted after a miss, or one abandoned when replay
     * jumped, must not refill the queue with segments replay has read already, so fetching goes on after it.
     */
    PrefetchCursor pastTaken(String taken) {
        if (!onTimelineOf(taken) || next.fileName().compareTo(taken) > 0) {
            return this;
        }
        return new PrefetchCursor(from, ((WalFileName.Segment) WalFileName.parse(taken)).next(segmentSize), segmentSize);
    }

    /** The fetches to start now, and the cursor after them. */
    record Starts(List<WalFileName.Segment> segments, PrefetchCursor cursor) {
    }

    /**
     * Fetches start while a worker is free and what is queued plus what is in flight stays within {@code depth};
     * a segment that is queued already is skipped.
     */
    Starts starts(List<String> queued, int inFlight, int workers, int depth) {
        List<WalFileName.Segment> segments = new ArrayList<>();
        WalFileName.Segment n = next;
        while (inFlight + segments.size() < workers && queued.size() + inFlight + segments.size() < depth) {
            while (queued.contains(n.fileName())) {
                n = n.next(segmentSize);
            }
            segments.add(n);
            n = n.next(segmentSize);
        }
        return new Starts(segments, new PrefetchCursor(from, n, segmentSize));
    }

    /**
     * The oldest fetch found nothing (not archived yet, or unreadable): everything after it waits, and fetching
     * starts again at it.
     */
    PrefetchCursor retryAt(WalFileName.Segment missing) {
        return new PrefetchCursor(from, missing, segmentSize);
    }
}
