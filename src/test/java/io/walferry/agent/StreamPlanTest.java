package io.walferry.agent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StreamPlanTest {
    private static final long SEGMENT = 16L << 20;
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final long CHUNK = 4L << 20;

    private static Map<String, Long> ends(long a, long b) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("a", a);
        m.put("b", b);
        return m;
    }

    @Test
    void receivedBytesWaitForTheIntervalOrAChunk() {
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), 10_000_000, INTERVAL, CHUNK)).isEqualTo(StreamPlan.WAIT);
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), INTERVAL.toNanos(), INTERVAL, CHUNK).pieces())
                .containsExactly(new StreamPlan.Piece("a", 0, 1000), new StreamPlan.Piece("b", 0, 1000));
        assertThat(StreamPlan.of(CHUNK, SEGMENT, ends(0, 0), 0, INTERVAL, CHUNK).pieces()).hasSize(2);
    }

    @Test
    void aLoneCommitIsStoredOnceTheServerIsQuietButAStreamOfWritesAtMostOnceAnInterval() {
        long quiet = StreamPlan.QUIET.toNanos();
        // a commit after an idle spell: stored once nothing more came for QUIET, not after the interval
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), new StreamPlan.Waits(quiet, quiet, Long.MAX_VALUE), INTERVAL, CHUNK).pieces())
                .hasSize(2);
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), new StreamPlan.Waits(quiet / 2, quiet / 2, Long.MAX_VALUE), INTERVAL, CHUNK))
                .as("more may be on its way").isEqualTo(StreamPlan.WAIT);
        // writes keep coming, or a piece was stored less than an interval ago: the interval holds
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), new StreamPlan.Waits(quiet, quiet, INTERVAL.toNanos() / 2), INTERVAL, CHUNK))
                .isEqualTo(StreamPlan.WAIT);
        assertThat(StreamPlan.of(1000, SEGMENT, ends(0, 0), new StreamPlan.Waits(INTERVAL.toNanos(), 0, INTERVAL.toNanos() / 2), INTERVAL, CHUNK)
                .pieces()).hasSize(2);
    }

    @Test
    void eachRepositoryGetsWhatItLacksFromWhereItsPrefixEnds() {
        // after a restart: "a" held more than "b"; what the stream sends again is not stored twice
        StreamPlan p = StreamPlan.of(5000, SEGMENT, ends(4000, 1000), INTERVAL.toNanos(), INTERVAL, CHUNK);
        assertThat(p.pieces()).containsExactly(new StreamPlan.Piece("a", 4000, 5000), new StreamPlan.Piece("b", 1000, 5000));
        assertThat(StreamPlan.of(3000, SEGMENT, ends(4000, 4000), INTERVAL.toNanos(), INTERVAL, CHUNK)).as("received again, held already")
                .isEqualTo(StreamPlan.WAIT);
        assertThat(StreamPlan.of(100, SEGMENT, ends(SEGMENT, SEGMENT), INTERVAL.toNanos(), INTERVAL, CHUNK)).as("stored whole by archive_command")
                .isEqualTo(StreamPlan.WAIT);
    }

    @Test
    void aCompleteSegmentIsStoredWholeNotAsAPiece() {
        StreamPlan p = StreamPlan.of(SEGMENT, SEGMENT, ends(1000, 0), 0, INTERVAL, CHUNK);
        assertThat(p.complete()).isTrue();
        assertThat(p.pieces()).isEmpty();
    }

    @Test
    void theSlotConfirmsOnlyWhatEveryRequiredRepositoryHolds() {
        assertThat(StreamPlan.confirmable(ends(5000, 3000))).isEqualTo(3000);
        assertThat(StreamPlan.confirmable(Map.of())).isZero();
    }
}
