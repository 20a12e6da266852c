package io.walferry.logical;

import io.walferry.postgres.logical.Subscriptions;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriptionStatusTest {
    private static Subscriptions.State state(boolean enabled, long applyErrors) {
        return new Subscriptions.State(enabled, Optional.of(42), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Map.of("r", 5), Optional.of(applyErrors), Optional.of(0L));
    }

    @Test
    void aHealthySubscriptionHasNoError() {
        assertThat(StreamStatus.subscriptionError("walferry_shop", Optional.of(state(true, 0)), true)).isEmpty();
    }

    @Test
    void errorsCountedByTheTargetADisabledOrMissingSubscriptionEachSaySo() {
        assertThat(StreamStatus.subscriptionError("walferry_shop", Optional.of(state(true, 3)), true).orElseThrow())
                .contains("failed 3 times applying").contains("pg_stat_subscription_stats");
        assertThat(StreamStatus.subscriptionError("walferry_shop", Optional.of(state(false, 0)), true).orElseThrow()).contains("disabled");
        assertThat(StreamStatus.subscriptionError("walferry_shop", Optional.empty(), true).orElseThrow()).contains("not on the target");
        assertThat(StreamStatus.subscriptionError("walferry_shop", Optional.empty(), false)).as("the target unread: its own error says it").isEmpty();
    }

    @Test
    void tableStatesAreNamed() {
        assertThat(StreamStatus.tableState("d")).isEqualTo("copying");
        assertThat(StreamStatus.tableState("r")).isEqualTo("ready");
    }
}
