package io.walferry.testing;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Samples every node's pg_is_in_recovery() every 100 ms; remembers any moment two answered false. */
public final class TwoPrimaries {
    private final Map<String, PgCluster> nodes;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<String> overlaps = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> lastWritable = new ConcurrentHashMap<>();
    private final Thread thread;

    public TwoPrimaries(Map<String, PgCluster> nodes) {
        this.nodes = nodes;
        this.thread = new Thread(this::loop, "two-primaries");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running.get()) {
            List<String> writable = new ArrayList<>();
            for (Map.Entry<String, PgCluster> e : nodes.entrySet()) {
                boolean w = isWritable(e.getValue());
                lastWritable.put(e.getKey(), w);
                if (w) {
                    writable.add(e.getKey());
                }
            }
            if (writable.size() > 1) {
                overlaps.add(Instant.now() + " " + writable);
            }
            if (!Pace.pause(Duration.ofMillis(100))) { // the checker looks ten times a second
                return;
            }
        }
    }

    private static boolean isWritable(PgCluster c) {
        try {
            return "f".equals(c.queryString("select pg_is_in_recovery()"));
        } catch (SQLException e) {
            return false;
        }
    }

    /** Whether the node answered as a writable primary at the last sample. */
    public boolean writable(String node) {
        return lastWritable.getOrDefault(node, false);
    }

    public void assertNeverTwo() {
        assertThat(overlaps).as("moments with two writable primaries").isEmpty();
    }

    public void stop() {
        running.set(false);
        thread.interrupt();
    }
}
