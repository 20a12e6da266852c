package io.walferry.agent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's retry backoff and which ready files it pushes: pure decisions, tested with made-up clocks. */
class PushScheduleTest {
    private static final long S = 1_000_000_000L;

    @Test
    void theBackoffDoublesUpToItsCapWithJitterInTheUpperHalf() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        assertThat(b.delay(0, 0)).isEqualTo(Duration.ofMillis(500));
        assertThat(b.delay(0, 1)).isEqualTo(Duration.ofMillis(1000));
        assertThat(b.delay(1, 1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.delay(3, 0.999_999)).isEqualTo(Duration.ofSeconds(8));
        assertThat(b.delay(6, 1)).as("capped").isEqualTo(Duration.ofSeconds(60));
        assertThat(b.delay(1000, 0)).as("no overflow however long it fails").isEqualTo(Duration.ofSeconds(30));
        for (int attempt = 0; attempt < 30; attempt++) {
            Duration random = b.delay(attempt);
            Duration cap = b.delay(attempt, 1);
            assertThat(random).isBetween(b.delay(attempt, 0), cap);
        }
    }

    @Test
    void eachFailureInARowWaitsLonger() {
        Backoff b = PushSchedule.RETRY;
        PushSchedule.Retry first = PushSchedule.Retry.after(null, 100 * S, b, 1);
        assertThat(first.attempts()).isZero();
        assertThat(first.notBeforeNanos()).isEqualTo(101 * S);
        PushSchedule.Retry second = PushSchedule.Retry.after(first, 101 * S, b, 1);
        assertThat(second.attempts()).isEqualTo(1);
        assertThat(second.delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(second.waiting(102 * S)).isTrue();
        assertThat(second.waiting(103 * S)).isFalse();
    }

    @Test
    void pushesWhatIsReadyInPostgresqlsOrderButNothingTwiceAndNothingBeforeItsRetry() {
        List<String> ready = List.of("00000002.history", "000000010000000000000001", "000000010000000000000002",
                "000000010000000000000003", "000000010000000000000004");
        Map<String, PushSchedule.Retry> retries = Map.of(
                "000000010000000000000003", new PushSchedule.Retry(2, Duration.ofSeconds(4), 50 * S),
                "000000010000000000000004", new PushSchedule.Retry(0, Duration.ofSeconds(1), 10 * S));
        List<String> due = PushSchedule.due(ready, Set.of("000000010000000000000001"), Set.of("000000010000000000000002")::contains,
                retries, 20 * S);
        assertThat(due).containsExactly("00000002.history", "000000010000000000000004");
        assertThat(PushSchedule.due(ready, Set.of(), n -> false, retries, 60 * S)).as("the retry's time has come").hasSize(5);
    }
}
