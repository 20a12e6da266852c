package io.walferry.monitor;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.concurrent.atomic.AtomicLong;

/** What the agent's pushes count as they happen: segments and bytes archived, failures, how long each push took. */
public final class ArchiveMetrics {
    private final Counter segments;
    private final Counter bytes;
    private final Counter failures;
    private final Histogram duration;
    private final AtomicLong lastPushMillis = new AtomicLong();

    ArchiveMetrics(PrometheusRegistry registry, Labels common) {
        segments = Counter.builder().name("walferry_archive_pushed_files").constLabels(common)
                .help("WAL files (segments and history files) the agent archived in every required repository").register(registry);
        bytes = Counter.builder().name("walferry_archive_pushed_bytes").unit(Unit.BYTES).constLabels(common)
                .help("Bytes of WAL the agent archived (before compression)").register(registry);
        failures = Counter.builder().name("walferry_archive_push_failures").constLabels(common)
                .help("Pushes that failed (each is retried)").register(registry);
        duration = Histogram.builder().name("walferry_archive_push_duration_seconds").unit(Unit.SECONDS).constLabels(common)
                .classicOnly().classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .help("How long one push took, read, checked, stored and verified in every required repository").register(registry);
        registry.register(() -> io.prometheus.metrics.model.snapshots.GaugeSnapshot.builder()
                .name("walferry_archive_last_push_timestamp_seconds").unit(Unit.SECONDS)
                .help("When the agent last archived a WAL file (0: not since it started)")
                .dataPoint(io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(common)
                        .value(lastPushMillis.get() / 1000.0).build()).build());
    }

    /** For tests and commands that count nothing. */
    public static ArchiveMetrics unregistered() {
        return new ArchiveMetrics(new PrometheusRegistry(), Labels.EMPTY);
    }

    /** A file of {@code size} bytes was archived in {@code nanos}. */
    public void pushed(long size, long nanos) {
        segments.inc();
        bytes.inc(size);
        duration.observe(nanos / 1e9);
        lastPushMillis.set(System.currentTimeMillis());
    }

    public void failed() {
        failures.inc();
    }
}
