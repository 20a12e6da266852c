package io.walferry.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** Which ready WAL files the agent pushes now, and when a failed push is tried again: pure functions of what it knows. */
final class PushSchedule {
    static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

    private PushSchedule() {
    }

    /**
     * A push that failed {@code attempts + 1} times in a row, and when it may be tried again.
     *
     * @param delay          how long it waits
     * @param notBeforeNanos when it may be tried again (System.nanoTime)
     */
    record Retry(int attempts, Duration delay, long notBeforeNanos) {
        /** After another failure ({@code previous} null for the first): the backoff grows with each attempt. */
        static Retry after(Retry previous, long nowNanos, Backoff backoff, double jitter) {
            int attempts = previous == null ? 0 : previous.attempts() + 1;
            Duration delay = backoff.delay(attempts, jitter);
            return new Retry(attempts, delay, nowNanos + delay.toNanos());
        }

        boolean waiting(long nowNanos) {
            return notBeforeNanos - nowNanos > 0;
        }
    }

    /**
     * The files of {@code ready} (PostgreSQL's order) to push now: not being pushed, not acked (the ack is the record
     * of a finished push: if it went missing, the file is pushed again), and not waiting out a retry's backoff.
     */
    static List<String> due(List<String> ready, Set<String> inFlight, Predicate<String> acked, Map<String, Retry> retries, long nowNanos) {
        List<String> due = new ArrayList<>();
        for (String name : ready) {
            Retry r = retries.get(name);
            if (!inFlight.contains(name) && !acked.test(name) && (r == null || !r.waiting(nowNanos))) {
                due.add(name);
            }
        }
        return due;
    }
}
