package io.walferry.archive;

import io.walferry.postgres.TimelineHistory;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryBranchTest {
    private static TimelineHistory history(int tli, String text) {
        return TimelineHistory.parse(tli, text);
    }

    private static final TimelineHistory TWO = history(2, "1\t0/5000000\tpromoted\n");
    private static final TimelineHistory TWO_ELSEWHERE = history(2, "1\t0/3000000\tno recovery target specified\n");
    private static final TimelineHistory THREE = history(3, "1\t0/5000000\tpromoted\n2\t0/7000000\tpromoted\n");

    private static HistoryBranch.Stored stored(TimelineHistory same, TimelineHistory parent, Integer... withSegments) {
        return new HistoryBranch.Stored(Optional.ofNullable(same), Optional.ofNullable(parent), Set.of(withSegments),
                withSegments.length > 0);
    }

    @Test
    void aFirstPromotionFromTimelineOneFits() {
        assertThat(HistoryBranch.problem(TWO, stored(null, null, 1), "local")).isEmpty();
    }

    @Test
    void theSameHistoryAgainFits() {
        assertThat(HistoryBranch.problem(TWO, stored(TWO, null, 1, 2), "local")).isEmpty();
    }

    @Test
    void aTimelineThatExistsFromAnotherBranchIsRefusedNamingBoth() {
        assertThat(HistoryBranch.problem(TWO_ELSEWHERE, stored(TWO, null, 1, 2), "local")).hasValueSatisfying(p -> assertThat(p)
                .contains("timeline 2 already exists in repository local from another branch")
                .contains("timeline 1 until 0/5000000, then timeline 2").contains("timeline 1 until 0/3000000, then timeline 2"));
    }

    @Test
    void aTimelineWithWalButNoHistoryIsRefused() {
        assertThat(HistoryBranch.problem(TWO, stored(null, null, 1, 2), "local")).hasValueSatisfying(p ->
                assertThat(p).contains("already holds WAL of timeline 2 but no history file"));
    }

    @Test
    void aBranchFromATimelineTheRepositoryDoesNotHaveIsRefused() {
        assertThat(HistoryBranch.problem(THREE, stored(null, null, 1), "local")).hasValueSatisfying(p ->
                assertThat(p).contains("branches from timeline 2 at 0/7000000, of which repository local holds nothing"));
    }

    @Test
    void aBranchWhoseAncestorsDifferFromTheStoredParentsIsRefused() {
        assertThat(HistoryBranch.problem(THREE, stored(null, TWO_ELSEWHERE, 1, 2), "local")).hasValueSatisfying(p ->
                assertThat(p).contains("holds a different history of timeline 2").contains("timeline 1 until 0/3000000"));
        assertThat(HistoryBranch.problem(THREE, stored(null, TWO, 1, 2), "local")).isEmpty();
    }

    @Test
    void anEmptyArchiveCannotContradictABranch() {
        assertThat(HistoryBranch.problem(THREE, stored(null, null), "local")).isEmpty();
    }
}
