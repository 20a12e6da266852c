package io.walferry.monitor;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.Labels;
import io.walferry.config.NodeConfig;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeState;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** What a scrape renders from the agent's last readings: it reads nothing itself. */
class NodeMetricsTest {
    private static final NodeConfig NODE = new NodeConfig("eu-west-1", "eu", "127.0.0.1", 5432, Path.of("/d"), Optional.empty());
    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");

    private static NodeState replica(Instant serverTime, Optional<Instant> replayed) {
        return new NodeState(true, "7000000000000000001", 150005, 1, Optional.empty(), Optional.empty(), Optional.of(new Lsn(0x3000000)),
                Optional.of(new Lsn(0x2000000)), replayed, serverTime, true, false, List.of(),
                new NodeState.Archiver(0, null, null, 0, null, null), Map.of("wal_segment_size", "16777216"),
                Optional.of(new Lsn(0x3000000)), Optional.of(new Lsn(0x3000000)), false);
    }

    private static String render(NodeMetrics metrics) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.collect(), EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static NodeMetrics metrics(Supplier<Optional<NodeReading>> node, List<LogicalStreamState> streams) {
        return new NodeMetrics(NODE, Labels.of("cluster", "c", "node", NODE.name()),
                new NodeMetrics.Sources(node, List::of, () -> streams, Optional::empty));
    }

    @Test
    void aScrapeServesTheLastReadingWithItsTimeAndReadsNothingItself() throws IOException {
        AtomicInteger asked = new AtomicInteger();
        NodeReading reading = new NodeReading(AT, 0.004, Optional.of(replica(AT, Optional.of(AT.minusSeconds(30)))),
                Optional.of(new NodeReading.ReplicaLag(1 << 20, 2.5)), new ArchiveBacklog(2, 32 << 20, 7),
                Optional.of(new RestoreState("20261207T093000Z", "local", AT.minusSeconds(100), AT.minusSeconds(58), 123456789)));
        String text = render(metrics(() -> {
            asked.incrementAndGet();
            return Optional.of(reading);
        }, List.of()));
        assertThat(asked).hasValue(1);
        assertThat(text).contains("walferry_node_up{cluster=\"c\",node=\"eu-west-1\"} 1.0")
                .contains("walferry_node_read_timestamp_seconds{cluster=\"c\",node=\"eu-west-1\"} 1.7966376E9")
                .contains("walferry_node_read_duration_seconds{cluster=\"c\",node=\"eu-west-1\"} 0.004")
                .contains("walferry_replica_lag_bytes{cluster=\"c\",node=\"eu-west-1\"} 1048576.0")
                .contains("walferry_replica_lag_seconds{cluster=\"c\",node=\"eu-west-1\"} 2.5")
                .contains("walferry_archive_backlog_files{cluster=\"c\",node=\"eu-west-1\"} 2.0")
                .contains("walferry_restore_duration_seconds{backup=\"20261207T093000Z\",cluster=\"c\",node=\"eu-west-1\",repository=\"local\"} 42.0")
                .contains("walferry_restore_size_bytes{backup=\"20261207T093000Z\",cluster=\"c\",node=\"eu-west-1\",repository=\"local\"} 1.23456789E8");
    }

    @Test
    void beforeTheFirstReadingNothingOfTheNodeIsReportedAndANodeThatDidNotAnswerIsDown() throws IOException {
        String none = render(metrics(Optional::empty, List.of()));
        assertThat(none).doesNotContain("walferry_node_up").doesNotContain("walferry_archive_backlog").contains("walferry_scrape_collect_seconds");
        String down = render(metrics(() -> Optional.of(new NodeReading(AT, 5, Optional.empty(), Optional.empty(), ArchiveBacklog.NONE,
                Optional.empty())), List.of()));
        assertThat(down).contains("walferry_node_up{cluster=\"c\",node=\"eu-west-1\"} 0.0")
                .doesNotContain("walferry_node_info").doesNotContain("walferry_replica_lag").doesNotContain("walferry_restore");
    }

    @Test
    void aLogicalStreamsLagAndState() throws IOException {
        LogicalStreamState behind = new LogicalStreamState("shop", AT, Optional.of("streaming"), true, true, false, Optional.of(4096L),
                Optional.of(12.5), Optional.of(8192L));
        LogicalStreamState stopped = new LogicalStreamState("crm", AT, Optional.empty(), false, false, true, Optional.empty(),
                Optional.empty(), Optional.empty());
        String text = render(metrics(Optional::empty, List.of(behind, stopped)));
        assertThat(text).contains("walferry_logical_stream_lag_bytes{cluster=\"c\",node=\"eu-west-1\",stream=\"shop\"} 4096.0")
                .contains("walferry_logical_stream_lag_seconds{cluster=\"c\",node=\"eu-west-1\",stream=\"shop\"} 12.5")
                .contains("walferry_logical_stream_retained_wal_bytes{cluster=\"c\",node=\"eu-west-1\",stream=\"shop\"} 8192.0")
                .contains("walferry_logical_stream_phase{cluster=\"c\",node=\"eu-west-1\",phase=\"streaming\",stream=\"shop\"} 1.0")
                .contains("walferry_logical_stream_running{cluster=\"c\",node=\"eu-west-1\",stream=\"shop\"} 1.0")
                .contains("walferry_logical_stream_running{cluster=\"c\",node=\"eu-west-1\",stream=\"crm\"} 0.0")
                .contains("walferry_logical_stream_readable{cluster=\"c\",node=\"eu-west-1\",stream=\"crm\"} 0.0")
                .contains("walferry_logical_stream_failed{cluster=\"c\",node=\"eu-west-1\",stream=\"crm\"} 1.0")
                .doesNotContain("walferry_logical_stream_lag_bytes{cluster=\"c\",node=\"eu-west-1\",stream=\"crm\"}");
    }

    @Test
    void aReplicaBehindSinceBeforeTheFirstSampleIsTimedFromItsLastReplayedCommit() {
        WalClock clock = new WalClock(Duration.ofMinutes(15));
        clock.saw(new Lsn(0x5000000), 0);
        NodeState s = replica(AT, Optional.of(AT.minusSeconds(40)));
        NodeReading.ReplicaLag lag = NodeReader.lag(s, clock, 3_000_000_000L).orElseThrow();
        assertThat(lag.bytes()).isEqualTo(0x3000000);
        assertThat(lag.seconds()).isEqualTo(40.0);
        assertThat(NodeReader.lag(s, new WalClock(Duration.ofMinutes(15)), 0)).as("before the primary's first sample").isEmpty();
    }

    @Test
    void theWalStreamsLagIsTimedByThePrimarysClockAndIsZeroOnceAllIsStoredHoweverLongThePrimaryIsIdle() throws IOException {
        WalClock clock = new WalClock(Duration.ofMinutes(15));
        clock.saw(new Lsn(0x4000000), 0);
        clock.saw(new Lsn(0x5000000), 2_000_000_000L);
        NodeState behind = primaryWithStreamSlot(new Lsn(0x4000000));
        NodeReading.ReplicaLag lag = NodeReader.walStreamLag(behind, NODE.name(), Optional.of(NODE.name()), clock, 5_000_000_000L).orElseThrow();
        assertThat(lag.bytes()).isEqualTo(0x1000000);
        assertThat(lag.seconds()).as("since the primary wrote past what is stored").isEqualTo(3.0);
        NodeState stored = primaryWithStreamSlot(new Lsn(0x5000000));
        assertThat(NodeReader.walStreamLag(stored, NODE.name(), Optional.of(NODE.name()), clock, 3_600_000_000_000L).orElseThrow().seconds())
                .as("idle for an hour, everything stored").isZero();
        assertThat(NodeReader.walStreamLag(stored, NODE.name(), Optional.of("other"), clock, 0)).as("the clock samples another primary").isEmpty();
        assertThat(NodeReader.walStreamLag(replica(AT, Optional.empty()), NODE.name(), Optional.of(NODE.name()), clock, 0)).isEmpty();

        String text = render(metrics(() -> Optional.of(new NodeReading(AT, 0.004, Optional.of(behind), Optional.empty(), ArchiveBacklog.NONE,
                Optional.empty(), Optional.of(lag))), List.of()));
        assertThat(text).contains("walferry_wal_stream_lag_seconds{cluster=\"c\",node=\"eu-west-1\",slot=\"walferry_stream_eu_west_1\"} 3.0")
                .contains("walferry_wal_stream_lag_bytes{cluster=\"c\",node=\"eu-west-1\",slot=\"walferry_stream_eu_west_1\"} 1.6777216E7");
    }

    private static NodeState primaryWithStreamSlot(Lsn restart) {
        NodeState.Slot slot = new NodeState.Slot("walferry_stream_eu_west_1", "physical", true, Optional.of(restart), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        return new NodeState(false, "7000000000000000001", 150005, 1, Optional.empty(), Optional.of(new Lsn(0x5000000)),
                Optional.empty(), Optional.empty(), Optional.empty(), AT, false, false, List.of(slot),
                new NodeState.Archiver(0, null, null, 0, null, null), Map.of("wal_segment_size", "16777216"),
                Optional.of(new Lsn(0x5000000)), Optional.empty(), false);
    }
}
