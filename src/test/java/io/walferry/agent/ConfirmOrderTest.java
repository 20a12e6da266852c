package io.walferry.agent;

import io.walferry.agent.ConfirmOrder.Step;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import static io.walferry.agent.ConfirmOrder.State.FAILED;
import static io.walferry.agent.ConfirmOrder.State.PENDING;
import static io.walferry.agent.ConfirmOrder.State.STORED;
import static org.assertj.core.api.Assertions.assertThat;

class ConfirmOrderTest {
    @Test
    void nothingInFlightConfirmsNothing() {
        assertThat(ConfirmOrder.decide(List.of())).isEqualTo(new ConfirmOrder.Decision(OptionalLong.empty(), 0, OptionalInt.empty()));
    }

    @Test
    void storedStepsAreConfirmedUpToTheFirstOneThatIsNot() {
        var d = ConfirmOrder.decide(List.of(new Step(100, STORED), new Step(250, STORED), new Step(400, PENDING), new Step(500, STORED)));
        assertThat(d.confirm()).hasValue(250);
        assertThat(d.settled()).isEqualTo(2);
        assertThat(d.stop()).isFalse();
    }

    @Test
    void aLaterStepStoredFirstWaitsForTheOnesBeforeIt() {
        var d = ConfirmOrder.decide(List.of(new Step(100, PENDING), new Step(250, STORED), new Step(400, STORED)));
        assertThat(d.confirm()).as("no gap is ever confirmed").isEmpty();
        assertThat(d.settled()).isZero();
        // once the oldest is stored, all three go at once
        assertThat(ConfirmOrder.decide(List.of(new Step(100, STORED), new Step(250, STORED), new Step(400, STORED))).confirm()).hasValue(400);
    }

    @Test
    void aFailedStepStopsTheStreamAndNothingFromItOnIsConfirmed() {
        var d = ConfirmOrder.decide(List.of(new Step(100, STORED), new Step(250, FAILED), new Step(400, STORED)));
        assertThat(d.confirm()).as("what was stored before the failure is durable").hasValue(100);
        assertThat(d.settled()).isEqualTo(1);
        assertThat(d.failed()).hasValue(1);
        assertThat(d.stop()).isTrue();
    }

    @Test
    void aFailureBehindAStepStillInFlightStopsTheStreamButThatStepMayStillBeConfirmed() {
        var d = ConfirmOrder.decide(List.of(new Step(100, PENDING), new Step(250, FAILED)));
        assertThat(d.stop()).isTrue();
        assertThat(d.failed()).hasValue(1);
        assertThat(d.confirm()).isEmpty();
        // the stream waits for what is in flight, then confirms what got stored before the failed step
        var after = ConfirmOrder.decide(List.of(new Step(100, STORED), new Step(250, FAILED)));
        assertThat(after.confirm()).hasValue(100);
        assertThat(after.failed()).hasValue(1);
    }

    @Test
    void aStepThatOnlyAnOptionalRepositoryNeededKeepsTheRequiredEnd() {
        // the second step stored a piece in an optional repository only: the required repositories hold what they held
        var d = ConfirmOrder.decide(List.of(new Step(100, STORED), new Step(100, STORED), new Step(300, STORED)));
        assertThat(d.confirm()).hasValue(300);
        assertThat(d.settled()).isEqualTo(3);
    }
}
