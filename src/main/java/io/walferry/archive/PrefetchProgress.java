package io.walferry.archive;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * When the prefetcher last saw replay move: a segment taken from the queue (its listing changed) or fetched into
 * it. It stops when neither that nor a question from the launcher happened for its idle time.
 *
 * @param queued  the queue's listing when last looked at
 * @param atNanos when replay last moved (System.nanoTime)
 */
record PrefetchProgress(List<String> queued, long atNanos) {
    PrefetchProgress {
        queued = List.copyOf(queued);
    }

    /** The listing now: a change (something taken, fetched or dropped) is progress. */
    PrefetchProgress saw(List<String> now, long nowNanos) {
        return now.equals(queued) ? this : new PrefetchProgress(now, nowNanos);
    }

    /** A fetch found its segment. */
    PrefetchProgress fetched(List<String> now, long nowNanos) {
        return new PrefetchProgress(now, nowNanos);
    }

    /**
     * Idle: nothing moved, and no question was answered, for longer than {@code idle}. A standby that has caught up
     * keeps asking (the launcher's questions): that is not idle. A streaming replica stops asking the archive, and a
     * promoted or paused server stops taking, and then the prefetcher goes (whether or not its queue is full).
     */
    boolean idle(long nowNanos, OptionalLong lastAnsweredNanos, Duration idle) {
        long last = atNanos;
        if (lastAnsweredNanos.isPresent() && lastAnsweredNanos.getAsLong() - atNanos > 0) {
            last = lastAnsweredNanos.getAsLong();
        }
        return nowNanos - last > idle.toNanos();
    }
}
