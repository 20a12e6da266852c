package io.walferry.monitor;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metric families of one scrape, gathered point by point: each family once, with its help text, its type, and the
 * labels every point carries (cluster, node) before its own. A name ending in {@code _bytes} or {@code _seconds} has that
 * unit; counters are named without {@code _total}, which the text format adds.
 */
public final class MetricFamilies {
    private record Point(Labels labels, double value) {
    }

    private record Family(String help, boolean counter, List<Point> points) {
    }

    private final Labels common;
    private final Map<String, Family> families = new LinkedHashMap<>();

    public MetricFamilies(Labels common) {
        this.common = common;
    }

    /** A gauge's point; {@code labels} are name, value pairs. */
    public void gauge(String name, String help, double value, String... labels) {
        add(name, help, false, value, labels);
    }

    public void counter(String name, String help, double value, String... labels) {
        add(name, help, true, value, labels);
    }

    /** A 0 or 1 gauge. */
    public void flag(String name, String help, boolean value, String... labels) {
        gauge(name, help, value ? 1 : 0, labels);
    }

    private void add(String name, String help, boolean counter, double value, String... labels) {
        Family f = families.computeIfAbsent(name, n -> new Family(help, counter, new ArrayList<>()));
        if (f.counter() != counter) {
            throw new IllegalArgumentException(name + " is a gauge and a counter");
        }
        f.points().add(new Point(common.merge(Labels.of(labels)), value));
    }

    /** The families in Prometheus' text format. */
    public byte[] text() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(8 * 1024);
        try {
            io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(out, snapshots(),
                    io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    MetricSnapshots snapshots() {
        List<MetricSnapshot> out = new ArrayList<>();
        families.forEach((name, f) -> {
            Unit unit = name.endsWith("_bytes") ? Unit.BYTES : name.endsWith("_seconds") ? Unit.SECONDS : null;
            if (f.counter()) {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(f.help()).unit(unit);
                f.points().forEach(p -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(p.labels()).value(p.value()).build()));
                out.add(b.build());
            } else {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help()).unit(unit);
                f.points().forEach(p -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(p.labels()).value(p.value()).build()));
                out.add(b.build());
            }
        });
        return new MetricSnapshots(out);
    }
}
