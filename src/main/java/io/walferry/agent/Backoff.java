package io.walferry.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for retrying a push: 1 s, 2 s, 4 s ... at most {@code max}. */
public record Backoff(Duration initial, Duration max) {
    public Duration delay(int attempt) {
        long base = initial.toMillis() << Math.min(attempt, 20);
        long capped = Math.min(base, max.toMillis());
        // Jitter keeps several agents from hammering a repository that comes back in step.
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }
}
