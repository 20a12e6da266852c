package io.walferry.archive;

import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefetcher's decisions about what to fetch next, without a server or a repository. */
class PrefetchCursorTest {
    private static final long SEG = 16L << 20;
    private static final String S3 = "000000010000000000000003";

    private static String seg(int timeline, long n) {
        return WalFileName.Segment.of(timeline, n, SEG).fileName();
    }

    private static List<String> names(PrefetchCursor.Starts starts) {
        return starts.segments().stream().map(WalFileName.Segment::fileName).toList();
    }

    @Test
    void startsFetchesWhileAWorkerIsFreeAndTheQueueHasRoomSkippingWhatIsQueued() {
        PrefetchCursor c = PrefetchCursor.at(S3, SEG);
        PrefetchCursor.Starts s = c.starts(List.of(), 0, 2, 8);
        assertThat(names(s)).containsExactly(seg(1, 3), seg(1, 4));
        assertThat(s.cursor().next().fileName()).isEqualTo(seg(1, 5));

        assertThat(names(c.starts(List.of(), 2, 2, 8))).as("every worker busy").isEmpty();
        assertThat(names(c.starts(List.of(seg(1, 3), seg(1, 4), seg(1, 5)), 1, 2, 4))).as("queued and in flight fill the depth").isEmpty();
        PrefetchCursor.Starts skipping = c.starts(List.of(seg(1, 3), seg(1, 4)), 0, 2, 8);
        assertThat(names(skipping)).as("what is queued is not fetched again").containsExactly(seg(1, 5), seg(1, 6));
        assertThat(skipping.cursor().next().fileName()).isEqualTo(seg(1, 7));
        assertThat(names(c.starts(List.of(seg(1, 3)), 0, 4, 3))).containsExactly(seg(1, 4), seg(1, 5));
    }

    @Test
    void followsFromWhenReplayJumpsAndNotOtherwise() {
        PrefetchCursor c = PrefetchCursor.at(S3, SEG).starts(List.of(), 0, 2, 8).cursor();
        assertThat(c.jumpedTo(S3)).as(".from as it was").isEmpty();
        PrefetchCursor jumped = c.jumpedTo(seg(2, 9)).orElseThrow();
        assertThat(jumped.from()).isEqualTo(seg(2, 9));
        assertThat(jumped.next().fileName()).as("another timeline: fetching goes on there").isEqualTo(seg(2, 9));
    }

    @Test
    void goesOnAfterWhatReplayTookOnItsTimelineNeverBack() {
        PrefetchCursor c = PrefetchCursor.at(S3, SEG);
        assertThat(c.onTimelineOf(seg(1, 7))).isTrue();
        assertThat(c.onTimelineOf(seg(2, 7))).isFalse();
        assertThat(c.pastTaken(seg(1, 7)).next().fileName()).as("a restarted fetch must not refill what replay read").isEqualTo(seg(1, 8));
        assertThat(c.pastTaken(seg(1, 3)).next().fileName()).isEqualTo(seg(1, 4));
        assertThat(c.pastTaken(seg(1, 2)).next().fileName()).as("behind the cursor: nothing changes").isEqualTo(S3);
        assertThat(c.pastTaken(seg(2, 7))).as("another timeline says nothing about this one").isEqualTo(c);
        assertThat(PrefetchCursor.at(seg(1, 0xFF), SEG).pastTaken(seg(1, 0xFF)).next().fileName())
                .as("across the 4 GiB boundary of segment names").isEqualTo("000000010000000100000000");
    }

    @Test
    void aMissRestartsFetchingAtTheMissingSegment() {
        PrefetchCursor c = PrefetchCursor.at(S3, SEG).starts(List.of(), 0, 4, 8).cursor();
        assertThat(c.next().fileName()).isEqualTo(seg(1, 7));
        PrefetchCursor retry = c.retryAt(new WalFileName.Segment(seg(1, 4)));
        assertThat(retry.next().fileName()).isEqualTo(seg(1, 4));
        assertThat(retry.from()).isEqualTo(S3);
    }
}
