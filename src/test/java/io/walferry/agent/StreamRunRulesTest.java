package io.walferry.agent;

import io.walferry.agent.StreamRunRules.Action;
import io.walferry.agent.StreamRunRules.Probe;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a stream with run: agent runs: on the source's primary (with ha, the leader), one runner at a time. */
class StreamRunRulesTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    private static Action decide(boolean ha, boolean leader, Boolean inRecovery, boolean running, Integer holder, Instant failedAt) {
        return StreamRunRules.decide(new Probe(ha, leader, Optional.ofNullable(inRecovery), running, Optional.ofNullable(holder),
                Optional.ofNullable(failedAt), NOW)).action();
    }

    @Test
    void withoutHaThePrimaryRunsItAndAStandbyDoesNot() {
        assertThat(decide(false, false, false, false, null, null)).isEqualTo(Action.START);
        assertThat(decide(false, false, false, true, null, null)).isEqualTo(Action.KEEP);
        assertThat(decide(false, false, true, false, null, null)).isEqualTo(Action.WAIT);
        assertThat(decide(false, false, true, true, null, null)).as("demoted while running").isEqualTo(Action.STOP);
    }

    @Test
    void withHaOnlyTheLeaderRunsIt() {
        assertThat(decide(true, true, false, false, null, null)).isEqualTo(Action.START);
        assertThat(decide(true, false, false, false, null, null)).as("a primary without the key (being demoted)").isEqualTo(Action.WAIT);
        assertThat(decide(true, false, false, true, null, null)).as("the key lost").isEqualTo(Action.STOP);
        assertThat(decide(true, false, null, true, null, null)).as("the key lost, the server down").isEqualTo(Action.STOP);
        assertThat(decide(true, true, true, false, null, null)).as("the leader still promoting").isEqualTo(Action.WAIT);
    }

    @Test
    void anUnreadableServerStartsNothingAndLeavesARunnerToItsRetries() {
        assertThat(decide(false, false, null, false, null, null)).isEqualTo(Action.WAIT);
        assertThat(decide(false, false, null, true, null, null)).isEqualTo(Action.KEEP);
        assertThat(decide(true, true, null, true, null, null)).isEqualTo(Action.KEEP);
    }

    @Test
    void oneRunnerPerStream() {
        StreamRunRules.Decision d = StreamRunRules.decide(new Probe(false, false, Optional.of(false), false, Optional.of(4242),
                Optional.empty(), NOW));
        assertThat(d.action()).isEqualTo(Action.WAIT);
        assertThat(d.why()).contains("pid 4242").contains("one runner per stream");
        assertThat(decide(false, false, false, true, 4242, null)).as("the holder is its own runner").isEqualTo(Action.KEEP);
    }

    @Test
    void aStreamStoppedByAFailureIsTriedAgainAfterTheHold() {
        assertThat(decide(false, false, false, false, null, NOW.minusSeconds(5))).isEqualTo(Action.WAIT);
        assertThat(decide(false, false, false, false, null, NOW.minus(StreamRunRules.HOLD_AFTER_FAILURE).minusSeconds(1)))
                .isEqualTo(Action.START);
    }
}
