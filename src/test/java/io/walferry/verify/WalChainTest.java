package io.walferry.verify;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.TimelineHistory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

class WalChainTest {
    private static final long SEG = 16 << 20;

    private static TreeSet<Long> range(long from, long to) {
        TreeSet<Long> s = new TreeSet<>();
        LongStream.rangeClosed(from, to).forEach(s::add);
        return s;
    }

    /** Timeline 2 branched off timeline 1 at the given LSN. */
    private static Map<Integer, TimelineHistory> second(String switchpoint) {
        return Map.of(2, new TimelineHistory(2, List.of(new TimelineHistory.Entry(1, Lsn.parse(switchpoint)))));
    }

    @Test
    void aContiguousTimelineHasNoGapAndAMissingSegmentIsOne() {
        assertThat(WalChain.gaps(Map.of(1, range(1, 9)), Map.of(), List.of(), SEG)).isEmpty();
        TreeSet<Long> holes = range(1, 9);
        holes.remove(4L);
        holes.remove(6L);
        holes.remove(7L);
        assertThat(WalChain.gaps(Map.of(1, holes), Map.of(), List.of(), SEG))
                .containsExactly(new WalChain.Gap(1, 4, 4), new WalChain.Gap(1, 6, 7));
    }

    @Test
    void theChainReachesOverEveryBackupsRangeAtBothEnds() {
        // expired below 5 is no gap; a backup from 3 to 11 needs 3, 4, 10 and 11 too
        assertThat(WalChain.gaps(Map.of(1, range(5, 9)), Map.of(), List.of(), SEG)).isEmpty();
        assertThat(WalChain.gaps(Map.of(1, range(5, 9)), Map.of(), List.of(new WalChain.Needed(1, 3, 11, "b")), SEG))
                .containsExactly(new WalChain.Gap(1, 3, 4), new WalChain.Gap(1, 10, 11));
        assertThat(WalChain.gaps(Map.of(), Map.of(), List.of(new WalChain.Needed(1, 3, 3, "b")), SEG))
                .as("nothing stored at all").containsExactly(new WalChain.Gap(1, 3, 3));
    }

    @Test
    void aNewTimelineFollowsItsHistoryFromTheSegmentItBranchedIn() {
        // promoted in segment 5: timeline 2 starts with its own copy of segment 5
        Map<Integer, TimelineHistory> h = second("0/5000060");
        assertThat(WalChain.gaps(Map.of(1, range(1, 5), 2, range(5, 8)), h, List.of(), SEG)).isEmpty();
        assertThat(WalChain.gaps(Map.of(1, range(1, 4), 2, range(5, 8)), h, List.of(), SEG))
                .as("the old timeline's segment 5 (its partial) is not needed").isEmpty();
        assertThat(WalChain.gaps(Map.of(1, range(1, 3), 2, range(5, 8)), h, List.of(), SEG))
                .as("timeline 1 up to the branch").containsExactly(new WalChain.Gap(1, 4, 4));
        assertThat(WalChain.gaps(Map.of(1, range(1, 5), 2, range(6, 8)), h, List.of(), SEG))
                .as("timeline 2's own first segment").containsExactly(new WalChain.Gap(2, 5, 5));
    }

    @Test
    void aSwitchAtASegmentBoundaryStartsTheNewTimelineThere() {
        Map<Integer, TimelineHistory> h = second("0/5000000");
        assertThat(WalChain.gaps(Map.of(1, range(1, 4), 2, range(5, 8)), h, List.of(), SEG)).isEmpty();
    }

    @Test
    void theOldTimelinesDivergedTailIsCheckedOnItsOwn() {
        // the old primary archived on past the branch: a hole there is a gap of timeline 1, not of 2's chain
        Map<Integer, TimelineHistory> h = second("0/5000060");
        TreeSet<Long> old = range(1, 9);
        old.remove(7L);
        assertThat(WalChain.gaps(Map.of(1, old, 2, range(5, 8)), h, List.of(), SEG)).containsExactly(new WalChain.Gap(1, 7, 7));
    }

    @Test
    void expiredWalOfEarlierTimelinesIsNoGapAndATimelineWithoutHistoryIsCheckedAlone() {
        assertThat(WalChain.gaps(Map.of(2, range(10, 12)), second("0/5000060"), List.of(), SEG)).isEmpty();
        assertThat(WalChain.gaps(Map.of(1, range(1, 3), 2, range(10, 12)), Map.of(), List.of(), SEG)).isEmpty();
    }
}
