package io.walferry.dashboard;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Each replica's lag over the last minutes, as the dashboard read it, for its chart. */
final class LagHistory {
    /** One reading: when (Unix milliseconds), and the lag in bytes and seconds (null: unknown). */
    record Point(long millis, Long bytes, Double seconds) {
    }

    private final long keepMillis;
    private final Map<String, Deque<Point>> byNode = new LinkedHashMap<>();

    LagHistory(Duration keep) {
        this.keepMillis = keep.toMillis();
    }

    synchronized void add(String node, Point p) {
        Deque<Point> d = byNode.computeIfAbsent(node, n -> new ArrayDeque<>());
        d.addLast(p);
        while (!d.isEmpty() && d.peekFirst().millis() < p.millis() - keepMillis) {
            d.removeFirst();
        }
    }

    /** Forgets nodes that are no longer replicas. */
    synchronized void retain(List<String> nodes) {
        byNode.keySet().retainAll(nodes);
    }

    synchronized Map<String, List<Point>> snapshot() {
        Map<String, List<Point>> out = new LinkedHashMap<>();
        byNode.forEach((n, d) -> out.put(n, List.copyOf(d)));
        return out;
    }
}
