package io.walferry.backup;

import io.walferry.backup.StreamPiecePlan.Streamed;
import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StreamPiecePlanTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final WalFileName.Segment OLD = new WalFileName.Segment("000000010000000000000005");
    private static final WalFileName.Segment RECENT = new WalFileName.Segment("000000010000000000000006");
    private static final WalFileName.Segment NEWEST = new WalFileName.Segment("000000010000000000000007");

    @Test
    void piecesOfASegmentStoredWholeGoOnceOlderThanTheGrace() {
        StreamPiecePlan plan = StreamPiecePlan.decide(List.of(
                new Streamed(OLD, true, NOW.minus(Duration.ofHours(1))),
                new Streamed(RECENT, true, NOW.minus(Duration.ofMinutes(1))),
                new Streamed(NEWEST, false, NOW.minus(Duration.ofDays(3)))), NOW, Duration.ofMinutes(10));
        assertThat(plan.removed()).containsExactly(OLD);
        assertThat(plan.young()).as("a stream may be removing them itself").containsExactly(RECENT);
    }

    @Test
    void piecesOfASegmentNotStoredWholeStayWhateverTheirAge() {
        assertThat(StreamPiecePlan.decide(List.of(new Streamed(NEWEST, false, Instant.EPOCH)), NOW, Duration.ZERO).removed()).isEmpty();
    }
}
