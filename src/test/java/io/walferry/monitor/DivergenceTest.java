package io.walferry.monitor;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.TimelineHistory;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DivergenceTest {
    private static final Optional<TimelineHistory> TWO = Optional.of(TimelineHistory.parse(2, "1\t0/5000000\tpromoted\n"));

    private static Lsn lsn(String s) {
        return Lsn.parse(s);
    }

    @Test
    void aReplicaBehindOnThePrimarysTimelineHasNotDiverged() {
        assertThat(Divergence.of(1, lsn("0/9000000"), Optional.empty(), 1, lsn("0/8000000"))).isEmpty();
        assertThat(Divergence.of(1, lsn("0/9000000"), Optional.empty(), 1, lsn("0/9000000"))).isEmpty();
    }

    @Test
    void aReplicaPastThePrimaryOnItsTimelineHasDiverged() {
        assertThat(Divergence.of(1, lsn("0/9000000"), Optional.empty(), 1, lsn("0/9000100"))).hasValueSatisfying(r ->
                assertThat(r).contains("past the primary's 0/9000000"));
    }

    @Test
    void aReplicaOnALaterTimelineThanThePrimaryHasDiverged() {
        assertThat(Divergence.of(1, lsn("0/9000000"), Optional.empty(), 2, lsn("0/3000000"))).hasValueSatisfying(r ->
                assertThat(r).isEqualTo("follows timeline 2, which the primary (timeline 1) does not have"));
    }

    @Test
    void aReplicaOnAnAncestorTimelineFollowsUnlessPastTheSwitchpoint() {
        assertThat(Divergence.of(2, lsn("0/9000000"), TWO, 1, lsn("0/4000000"))).as("it will switch at 0/5000000").isEmpty();
        assertThat(Divergence.of(2, lsn("0/9000000"), TWO, 1, lsn("0/5000000"))).isEmpty();
        assertThat(Divergence.of(2, lsn("0/9000000"), TWO, 1, lsn("0/5000100"))).hasValueSatisfying(r ->
                assertThat(r).contains("past 0/5000000 where the primary's history left it"));
        assertThat(Divergence.of(2, lsn("0/9000000"), Optional.empty(), 1, lsn("0/5000100"))).as("history unknown").isEmpty();
    }

    @Test
    void aReplicaOnATimelineOutsideThePrimarysHistoryHasDiverged() {
        Optional<TimelineHistory> three = Optional.of(TimelineHistory.parse(3, "1\t0/5000000\tx\n"));
        assertThat(Divergence.of(3, lsn("0/9000000"), three, 2, lsn("0/4000000"))).hasValueSatisfying(r ->
                assertThat(r).contains("follows timeline 2, which is not in the primary's history"));
    }
}
