package io.walferry.agent;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's catch-up and housekeeping schedules: pure decisions, without repositories. */
class CatchUpRoundTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aRepositoryStillDownKeepsItsMarkersAndIsNotTriedAgainInThatRound() {
        CatchUpRound round = new CatchUpRound(Set.of("offsite", "tape"));
        assertThat(round.step("offsite")).isEqualTo(CatchUpRound.Step.TRY);
        assertThat(round.clears("offsite", CatchUpRound.Outcome.STORED)).isTrue();
        assertThat(round.step("offsite")).isEqualTo(CatchUpRound.Step.TRY);
        assertThat(round.clears("offsite", CatchUpRound.Outcome.STILL_DOWN)).isFalse();
        assertThat(round.step("offsite")).as("its newer files wait for the next round").isEqualTo(CatchUpRound.Step.SKIP);
        assertThat(round.step("tape")).as("another repository goes on").isEqualTo(CatchUpRound.Step.TRY);
        assertThat(round.clears("tape", CatchUpRound.Outcome.NO_SOURCE)).as("nothing to copy from: it would retry forever").isTrue();
        assertThat(round.step("gone")).as("no longer configured").isEqualTo(CatchUpRound.Step.CLEAR);
        assertThat(new CatchUpRound(Set.of("offsite", "tape")).step("offsite")).as("a new round tries again").isEqualTo(CatchUpRound.Step.TRY);
    }

    @Test
    void temporaryObjectsAreCleanedAtStartThenHourly() {
        assertThat(Housekeeper.cleanupDue(OptionalLong.empty(), 5 * S)).isTrue();
        assertThat(Housekeeper.cleanupDue(OptionalLong.of(5 * S), 3600 * S)).isFalse();
        assertThat(Housekeeper.cleanupDue(OptionalLong.of(5 * S), 3606 * S)).isTrue();
        assertThat(Housekeeper.cleanupDue(OptionalLong.of(0), 3601 * S)).as("a clock that started at 0").isTrue();
    }

    @Test
    void acksAreForgottenOnceTheFileIsNoLongerReadyAndNotBeingPushed() {
        List<String> names = List.of("000000010000000000000001", "000000010000000000000002", "000000010000000000000003");
        assertThat(Housekeeper.forgettable(names, Set.of("000000010000000000000002")::contains, Set.of("000000010000000000000003")::contains))
                .containsExactly("000000010000000000000001");
    }
}
