package io.walferry.logical;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class GroupPolicyTest {
    private static final long MS = 1_000_000L;
    private final GroupPolicy policy = new GroupPolicy(10, 100, Duration.ofMillis(500), Duration.ofMillis(20));

    @Test
    void aGroupCommitsOnlyBetweenWholeSourceTransactions() {
        assertThat(policy.commitNow(true, 50, 5000, 900 * MS, 900 * MS)).isFalse();
        assertThat(policy.commitNow(false, 0, 0, 900 * MS, 900 * MS)).as("nothing to commit").isFalse();
    }

    @Test
    void aShortPauseOfTheStreamKeepsTheGroupOpen() {
        assertThat(policy.commitNow(false, 3, 12, 30 * MS, 5 * MS)).isFalse();
        assertThat(policy.commitNow(false, 3, 12, 30 * MS, 20 * MS)).as("quiet long enough").isTrue();
    }

    @Test
    void aLargeOrOldGroupCommitsWhileChangesKeepComing() {
        assertThat(policy.commitNow(false, 10, 12, 0, 0)).isTrue();
        assertThat(policy.commitNow(false, 3, 100, 0, 0)).isTrue();
        assertThat(policy.commitNow(false, 3, 12, 500 * MS, 0)).isTrue();
    }
}
