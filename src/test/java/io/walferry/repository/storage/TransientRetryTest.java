package io.walferry.repository.storage;

import io.walferry.failure.Clock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retries of failures that pass, on a clock of the test's own: bounded by the budget, backing off, obeying interrupts. */
class TransientRetryTest {
    private static final Duration BUDGET = Duration.ofSeconds(3);
    private static final Duration FIRST = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofSeconds(1);

    /** Time passes only when the retry waits. */
    private static final class TestClock implements Clock {
        long now = 1_000_000_000L;
        final List<Duration> waits = new ArrayList<>();

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) {
            waits.add(d);
            now += d.toNanos();
        }
    }

    private static TransientRetry retry(TestClock clock) {
        return new TransientRetry(BUDGET, FIRST, MAX, S3Failures::isTransient, clock);
    }

    @Test
    void aFailureThatNeverPassesIsGivenUpWithinTheBudgetBackingOff() {
        TestClock clock = new TestClock();
        long start = clock.now;
        int[] calls = {0};
        assertThatThrownBy(() -> retry(clock).run("HEAD c/cluster.json", () -> {
            calls[0]++;
            throw new IOException("Connection reset");
        })).isInstanceOfSatisfying(TransientRetry.GaveUpException.class, e -> assertThat(e.getMessage())
                .isEqualTo("HEAD c/cluster.json failed " + calls[0] + " times over " + (clock.now - start) / 1_000_000
                        + " ms; last: IOException: Connection reset"));
        assertThat(clock.now - start).as("waited less than the budget").isLessThan(BUDGET.toNanos());
        assertThat(calls[0]).as("one call per wait, and one more").isEqualTo(clock.waits.size() + 1).isGreaterThan(3);
        for (int i = 0; i < clock.waits.size(); i++) {
            long ceiling = Math.min(MAX.toNanos(), FIRST.toNanos() << i);
            assertThat(clock.waits.get(i).toNanos()).as("wait " + i).isBetween(ceiling / 4, ceiling);
        }
    }

    @Test
    void aFailureThatPassesIsRetriedUntilTheCallSucceeds() throws IOException {
        TestClock clock = new TestClock();
        int[] calls = {0};
        String answer = retry(clock).run("GET c/x", () -> {
            if (++calls[0] < 3) {
                throw new S3Failures.TransientS3Failure("GET c/x: HTTP 503 SlowDown", null);
            }
            return "body";
        });
        assertThat(answer).isEqualTo("body");
        assertThat(clock.waits).hasSize(2);
    }

    @Test
    void aFailureThatDoesNotPassIsThrownAtOnce() {
        TestClock clock = new TestClock();
        IllegalStateException bug = new IllegalStateException("not a store's failure");
        assertThatThrownBy(() -> retry(clock).run("PUT c/x", () -> {
            throw bug;
        })).isSameAs(bug);
        assertThat(clock.waits).isEmpty();
    }

    @Test
    void anInterruptedWaitEndsTheRetries() {
        Clock interrupted = new Clock() {
            @Override
            public long nanoTime() {
                return 0;
            }

            @Override
            public void sleep(Duration d) throws InterruptedException {
                throw new InterruptedException();
            }
        };
        try {
            assertThatThrownBy(() -> new TransientRetry(BUDGET, FIRST, MAX, S3Failures::isTransient, interrupted).run("PUT c/x", () -> {
                throw new IOException("Connection reset");
            })).isInstanceOf(InterruptedIOException.class).hasMessage("PUT c/x interrupted while waiting to retry");
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept for the caller").isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
