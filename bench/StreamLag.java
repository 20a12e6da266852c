import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The probes of bench/stream.sh (run with walferry.jar on the class path, for pgjdbc).
 *
 *   isolated PRIMARY_URL STANDBY_URL N IDLE_MS   N single commits, each after IDLE_MS with no write at all: the time from
 *                                                a commit's acknowledgement to the row's visibility on the standby
 *                                                (polled every 5 ms)
 *   heartbeat PRIMARY_URL STANDBY_URL SECONDS    a heartbeat row updated every 100 ms on the primary; the standby reads
 *                                                clock_timestamp() - its time at random intervals of 50 to 150 ms (as
 *                                                bench/failover_client.py lag); both servers on this machine's clock
 *
 * Prints one line: "n=... p50=... p99=... max=..." in seconds.
 */
public class StreamLag {
    public static void main(String[] args) throws Exception {
        List<Double> samples = switch (args[0]) {
            case "isolated" -> isolated(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
            case "heartbeat" -> heartbeat(args[1], args[2], Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("isolated|heartbeat");
        };
        Collections.sort(samples);
        System.out.printf("n=%d p50=%.3f p99=%.3f max=%.3f%n", samples.size(), pct(samples, 50), pct(samples, 99),
                samples.get(samples.size() - 1));
    }

    static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static List<Double> isolated(String primaryUrl, String standbyUrl, int n, long idleMillis) throws Exception {
        List<Double> out = new ArrayList<>();
        try (Connection p = DriverManager.getConnection(primaryUrl); Connection s = DriverManager.getConnection(standbyUrl);
             Statement ps = p.createStatement(); Statement ss = s.createStatement()) {
            ps.execute("create table if not exists lag_probe (id bigint primary key, at timestamptz)");
            long base = System.currentTimeMillis() * 1000;
            for (int i = 0; i < n; i++) {
                Thread.sleep(idleMillis);
                long id = base + i;
                ps.execute("insert into lag_probe values (" + id + ", clock_timestamp())");
                long acked = System.nanoTime();
                long deadline = acked + 120_000_000_000L;
                while (true) {
                    boolean seen;
                    try (ResultSet r = ss.executeQuery("select 1 from lag_probe where id = " + id)) {
                        seen = r.next();
                    } catch (java.sql.SQLException e) {
                        seen = false; // the table is not replayed yet
                    }
                    if (seen) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("row " + id + " not visible on the standby after 120 s");
                    }
                    Thread.sleep(5);
                }
                double lag = (System.nanoTime() - acked) / 1e9;
                out.add(lag);
                System.err.printf("commit %d visible after %.3f s%n", i + 1, lag);
            }
        }
        return out;
    }

    static List<Double> heartbeat(String primaryUrl, String standbyUrl, int seconds) throws Exception {
        try (Connection p = DriverManager.getConnection(primaryUrl); Statement ps = p.createStatement()) {
            ps.execute("create table if not exists heartbeat (id int primary key, at timestamptz)");
            ps.execute("insert into heartbeat values (1, clock_timestamp()) on conflict (id) do update set at = excluded.at");
        }
        long end = System.nanoTime() + (seconds + 2) * 1_000_000_000L;
        Thread beat = Thread.ofPlatform().start(() -> {
            try (Connection p = DriverManager.getConnection(primaryUrl); Statement ps = p.createStatement()) {
                long next = System.nanoTime();
                while (System.nanoTime() < end + 500_000_000L) {
                    ps.execute("update heartbeat set at = clock_timestamp() where id = 1");
                    next += 100_000_000L;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<Double> out = new ArrayList<>();
        try (Connection s = DriverManager.getConnection(standbyUrl); Statement ss = s.createStatement()) {
            // until the heartbeat is replayed, then from one second on
            long from = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end) {
                try (ResultSet r = ss.executeQuery("select extract(epoch from clock_timestamp() - at) from heartbeat where id = 1")) {
                    if (r.next() && System.nanoTime() > from) {
                        out.add(r.getDouble(1));
                    }
                } catch (java.sql.SQLException e) {
                    // not replayed yet
                }
                Thread.sleep(ThreadLocalRandom.current().nextLong(50, 151));
            }
        }
        beat.join();
        return out;
    }
}
