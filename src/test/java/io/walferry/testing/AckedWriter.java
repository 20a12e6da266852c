package io.walferry.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Inserts one row at a time into table {@code t} through a multi-host URL that finds the primary, and records each
 * acknowledged id: what a failover must not lose.
 */
public final class AckedWriter implements AutoCloseable {
    private final List<Long> acked = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile long lastAck = System.nanoTime();
    private volatile long longestGap;

    public AckedWriter(Map<String, PgCluster> nodes) {
        String hosts = String.join(",", nodes.values().stream().map(c -> "127.0.0.1:" + c.port()).toList());
        String url = "jdbc:postgresql://" + hosts + "/postgres?user=postgres&targetServerType=primary&connectTimeout=2"
                + "&socketTimeout=10";
        thread = new Thread(() -> {
            long id = 10_000_000;
            while (running.get()) {
                try (Connection c = DriverManager.getConnection(url);
                     PreparedStatement p = c.prepareStatement("insert into t values (?, 'writer')")) {
                    while (running.get()) {
                        p.setLong(1, id);
                        p.executeUpdate();
                        acked.add(id);
                        long now = System.nanoTime();
                        longestGap = Math.max(longestGap, now - lastAck);
                        lastAck = now;
                        id++;
                    }
                } catch (SQLException e) {
                    id++; // the row of a failed insert may or may not exist: not counted, and never reused
                    if (!Pace.pause(Duration.ofMillis(50))) { // a client that retries every 50 ms, as the benchmark's
                        return;
                    }
                }
            }
        }, "writer");
        thread.setDaemon(true);
        thread.start();
    }

    public List<Long> acknowledged() {
        return acked;
    }

    public Duration longestGap() {
        return Duration.ofNanos(longestGap);
    }

    public void stop() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
