package io.walferry.repository.storage;

import io.walferry.failure.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Retries a remote call that failed for a reason that passes (a 5xx answer, SlowDown, a timeout, a reset
 * connection) with exponential backoff and full jitter, for a bounded time; then it gives up with the last
 * failure, so that the caller reports it. Each retry is logged, so that a flaky store does not go unnoticed.
 */
final class TransientRetry {
    private static final Logger LOG = LoggerFactory.getLogger(TransientRetry.class);

    private final Duration budget;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private final Predicate<Throwable> transientFailure;
    private final Clock clock;

    TransientRetry(Duration budget, Duration firstDelay, Duration maxDelay, Predicate<Throwable> transientFailure) {
        this(budget, firstDelay, maxDelay, transientFailure, Clock.SYSTEM);
    }

    TransientRetry(Duration budget, Duration firstDelay, Duration maxDelay, Predicate<Throwable> transientFailure, Clock clock) {
        this.budget = budget;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.transientFailure = transientFailure;
        this.clock = clock;
    }

    interface Call<T> {
        T run() throws IOException;
    }

    /** Gave up: the last failure, and how long and how often it was tried. */
    static final class GaveUpException extends IOException {
        GaveUpException(String what, int attempts, long millis, Throwable last) {
            super(what + " failed " + attempts + " times over " + millis + " ms; last: " + describe(last), last);
        }
    }

    <T> T run(String what, Call<T> call) throws IOException {
        long start = clock.nanoTime();
        long deadline = start + budget.toNanos();
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                return call.run();
            } catch (IOException | RuntimeException e) {
                if (!transientFailure.test(e)) {
                    throw e;
                }
                long ceiling = Math.min(maxDelay.toNanos(), firstDelay.toNanos() << Math.min(attempt - 1, 20));
                long delay = ThreadLocalRandom.current().nextLong(ceiling / 4, ceiling + 1);
                long now = clock.nanoTime();
                if (now + delay >= deadline) {
                    throw new GaveUpException(what, attempt, (now - start) / 1_000_000, e);
                }
                LOG.warn("{} failed (attempt {}), retrying in {} ms: {}", what, attempt, delay / 1_000_000, describe(e));
                try {
                    clock.sleep(Duration.ofNanos(delay));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException(what + " interrupted while waiting to retry");
                }
            }
        }
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
