package io.walferry.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for retrying a push: 1 s, 2 s, 4 s ... at most {@code max}. */
public record Backoff(Duration initial, Duration max) {
    /**
     * The delay after {@code attempt} failures (0 for the first), {@code jitter} in [0, 1] choosing where in the
     * upper half of the step it falls: jitter keeps several agents from hammering a repository that comes back
     * in step.
     */
    public Duration delay(int attempt, double jitter) {
        long base = initial.toMillis() << Math.min(attempt, 20);
        long capped = Math.min(base, max.toMillis());
        long spread = capped / 2;
        return Duration.ofMillis(spread + Math.min(spread, (long) (jitter * (spread + 1))));
    }

    /** As {@link #delay(int, double)}, at a random point. */
    public Duration delay(int attempt) {
        return delay(attempt, ThreadLocalRandom.current().nextDouble());
    }
}
