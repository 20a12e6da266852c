package io.walferry.failure;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one wait of walferry: looks, pauses between looks, and fails typed and in one line when time is up. */
class DeadlineTest {
    /** Time moves only when the wait pauses: each pause is recorded and advances the clock by its length. */
    private static final class StepClock implements Clock {
        long now = 1_000;
        final List<Duration> pauses = new ArrayList<>();
        boolean interruptOnSleep;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (interruptOnSleep) {
                throw new InterruptedException();
            }
            pauses.add(d);
            now += d.toNanos();
        }
    }

    @Test
    void looksUntilTheConditionHoldsPausingBetweenLooks() {
        StepClock clock = new StepClock();
        AtomicInteger looks = new AtomicInteger();
        boolean held = Deadline.after(Duration.ofSeconds(10), clock).lookingEvery(Duration.ofMillis(100))
                .await(() -> looks.incrementAndGet() == 4);
        assertThat(held).isTrue();
        assertThat(looks).hasValue(4);
        assertThat(clock.pauses).containsExactly(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100));
    }

    @Test
    void aConditionThatHoldsAtOnceNeverPauses() {
        StepClock clock = new StepClock();
        assertThat(Deadline.after(Duration.ZERO, clock).await(() -> true)).isTrue();
        assertThat(clock.pauses).isEmpty();
    }

    @Test
    void theDefaultPauseIsAQuarterSecond() {
        StepClock clock = new StepClock();
        Deadline.after(Duration.ofSeconds(1), clock).pause();
        assertThat(clock.pauses).containsExactly(Duration.ofMillis(250));
    }

    @Test
    void givesUpOnceTheDeadlineHasPassedLookingOnceMoreAtTheEnd() {
        StepClock clock = new StepClock();
        AtomicInteger looks = new AtomicInteger();
        boolean held = Deadline.after(Duration.ofSeconds(1), clock).await(() -> {
            looks.incrementAndGet();
            return false;
        });
        assertThat(held).isFalse();
        // looks at 0, 250, 500, 750 and 1000 ms are within the deadline; the one at 1250 ms is past it
        assertThat(looks).hasValue(6);
    }

    @Test
    void timingOutIsTheGivenKindInOneLine() {
        StepClock clock = new StepClock();
        assertThatThrownBy(() -> Deadline.after(Duration.ofSeconds(1), clock).awaitOr(() -> false, Failure.REPOSITORY,
                "segment X did not reach repository r within 1 s", "check archiving"))
                .isInstanceOfSatisfying(WalferryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Failure.REPOSITORY);
                    assertThat(e.oneLine()).isEqualTo("segment X did not reach repository r within 1 s (hint: check archiving)");
                });
    }

    @Test
    void theTimeoutFailureIsMadeWhenItHappens() {
        StepClock clock = new StepClock();
        AtomicInteger looks = new AtomicInteger();
        assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(500), clock).awaitOr(() -> looks.incrementAndGet() < 0,
                () -> new WalferryException(Failure.FAILED, "gave up after " + looks.get() + " looks", null)))
                .hasMessage("gave up after 4 looks");
    }

    @Test
    void pauseOrFailsOnlyOnceTheDeadlineHasPassed() {
        StepClock clock = new StepClock();
        Deadline d = Deadline.after(Duration.ofMillis(300), clock);
        d.pauseOr(Failure.POSTGRES, "late", null);
        d.pauseOr(Failure.POSTGRES, "late", null);
        assertThat(clock.pauses).hasSize(2);
        assertThatThrownBy(() -> d.pauseOr(Failure.POSTGRES, "late", "stop it"))
                .isInstanceOfSatisfying(WalferryException.class, e -> assertThat(e.kind()).isEqualTo(Failure.POSTGRES));
        assertThat(d.passed()).isTrue();
        assertThat(d.elapsed()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void anInterruptedWaitFailsAsInterruptedAndKeepsTheInterruptStatus() {
        StepClock clock = new StepClock();
        clock.interruptOnSleep = true;
        try {
            assertThatThrownBy(() -> Deadline.after(Duration.ofSeconds(1), clock).await(() -> false))
                    .isInstanceOfSatisfying(WalferryException.class, e -> assertThat(e.kind()).isEqualTo(Failure.INTERRUPTED));
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void sleepingOnTheSystemClockReturnsAfterTheTime() {
        long before = System.nanoTime();
        Deadline.sleep(Duration.ofMillis(20));
        assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofMillis(20).toNanos());
    }
}
