package io.walferry.monitor;

import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.Pace;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.PrometheusServer;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two agents (a primary's and its streaming replica's) serve /metrics that promtool accepts; a real Prometheus scrapes both
 * and answers with the replica's lag; over a minute without writes the replica's lag stays near 0 s (while "now minus the
 * last replayed commit" passes a minute); once its replay is paused its lag grows in bytes and in seconds.
 */
@ExtendWith(PgLogOnFailure.class)
class MetricsIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Path dir;
    private PgCluster primary;
    private PgCluster replica;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-metrics-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{replica, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        return r.body();
    }

    /** The value of the one series of {@code name} in a scrape (labels ignored), if there is one. */
    private static Optional<Double> value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(metrics);
        return m.find() ? Optional.of(Double.parseDouble(m.group(2))) : Optional.empty();
    }

    @Test
    void prometheusScrapesTwoAgentsAndTheReplicasLagIsRightIdleAndPaused() throws Exception {
        primary = PgCluster.init(dir, "us-east-1");
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.set("autovacuum", "off");
        primary.set("wal_level", "logical");
        primary.start();
        replica = PgCluster.existing(dir, "eu-west-1");
        int primaryPort = PgCluster.allocatePort();
        int replicaPort = PgCluster.allocatePort();
        wf.writeConfig(List.of(primary, replica), "  workers: 2\n");
        wf.nodeKeys(Map.of("us-east-1", "    metrics_port: " + primaryPort + "\n", "eu-west-1", "    metrics_port: " + replicaPort + "\n"), null);
        // a logical stream of table t into another database of the primary: the primary's agent (its source's) reports it
        wf.logical("""
                  - name: copy
                    source: {node: us-east-1, database: postgres}
                    target: {host: 127.0.0.1, port: %d, database: copy, user: app}
                    tables: [t]
                """.formatted(primary.port()));
        ok(wf, "repo-create", "--node", "us-east-1");
        try (AgentProcess primaryAgent = wf.startAgent("us-east-1")) {
            primary.execute("create table t (id bigint primary key, note text)");
            primary.execute("insert into t select g, 'before' from generate_series(1, 10000) g");
            ok(wf, "backup", "--node", "us-east-1");
            ok(wf, "replica", "create", "--node", "eu-west-1", "--mode", "streaming");
            // Prometheus loads the rules walferry alert-rules prints (it refuses to start on a bad rules file)
            Path rules = dir.resolve("alert-rules.yml");
            java.nio.file.Files.writeString(rules, ok(wf, "alert-rules").out());
            try (AgentProcess replicaAgent = wf.startAgent("eu-west-1");
                 PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"),
                         List.of("127.0.0.1:" + primaryPort, "127.0.0.1:" + replicaPort), List.of(rules))) {
                // both endpoints pass promtool's checks, and say what they are
                Await.until(Duration.ofSeconds(60), "the replica's agent to report its lag",
                        () -> value(scrape(replicaPort), "walferry_replica_lag_bytes").isPresent());
                for (int port : new int[]{primaryPort, replicaPort}) {
                    String text = scrape(port);
                    Result check = PrometheusServer.promtool(text, "check", "metrics");
                    assertThat(check.exitCode()).as(check.out() + "\n" + text).isZero();
                    assertThat(check.out()).as(text).isBlank();
                }
                String p = scrape(primaryPort);
                assertThat(p).contains("walferry_node_up{cluster=\"test\",node=\"us-east-1\"} 1.0")
                        .contains("walferry_node_writable{cluster=\"test\",node=\"us-east-1\"} 1.0")
                        .contains("walferry_slot_retained_wal_bytes{cluster=\"test\",node=\"us-east-1\",slot=\"walferry_eu_west_1\",slot_type=\"physical\"}")
                        .contains("walferry_slot_wal_status{cluster=\"test\",node=\"us-east-1\",slot=\"walferry_eu_west_1\",slot_type=\"physical\",status=\"reserved\"} 1.0")
                        .contains("walferry_archive_pushed_files_total{cluster=\"test\",node=\"us-east-1\"}")
                        .contains("walferry_repository_up{cluster=\"test\",node=\"us-east-1\",repository=\"local\"} 1.0");
                assertThat(value(p, "walferry_archive_pushed_files_total").orElseThrow()).isPositive();
                assertThat(value(p, "process_resident_memory_bytes").orElseThrow()).as("the agent's resident memory")
                        .isLessThan(256.0 * (1 << 20));
                assertThat(value(p, "process_resident_memory_bytes").orElseThrow()).isLessThan(256.0 * 1024 * 1024);
                String r = scrape(replicaPort);
                // replica create restored the backup: the replica's agent reports how long that took
                assertThat(value(r, "walferry_restore_duration_seconds").orElseThrow()).as(r).isPositive();
                assertThat(r).contains("walferry_restore_size_bytes{backup=\"");
                assertThat(r).contains("walferry_node_info{cluster=\"test\",node=\"eu-west-1\",region=\"default\",role=\"replica\"")
                        .contains("walferry_replica_streaming{cluster=\"test\",node=\"eu-west-1\"} 1.0")
                        .contains("walferry_wal_position_bytes{cluster=\"test\",node=\"eu-west-1\",position=\"replayed\"}");

                // a scrape costs little: no connection per scrape, let alone per metric
                List<Long> millis = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    scrape(replicaPort);
                    millis.add((System.nanoTime() - t0) / 1_000_000);
                }
                Collections.sort(millis);
                assertThat(millis.get(millis.size() / 2)).as("median scrape time in ms, of " + millis).isLessThan(50);

                // Prometheus has the replica's lag
                Await.until(Duration.ofSeconds(60), "Prometheus to have the replica's lag",
                        () -> prometheus.query("walferry_replica_lag_bytes{node=\"eu-west-1\"}").isPresent()
                                && prometheus.query("walferry_replica_lag_seconds{node=\"eu-west-1\"}").isPresent());
                Await.until(Duration.ofSeconds(30), "Prometheus to scrape both agents",
                        () -> prometheus.query("count(up{job=\"walferry\"} == 1)").equals(Optional.of(2.0)));

                // a minute without writes: the replica stays 0 s behind, though its last replayed commit gets a minute old
                primary.execute("insert into t values (0, 'the last write for a minute')");
                Await.until(Duration.ofSeconds(60), "the replica to catch up",
                        () -> value(scrape(replicaPort), "walferry_replica_lag_bytes").orElse(-1.0) == 0);
                double[] worst = {0};
                Pace.observe(Duration.ofSeconds(1), Duration.ofSeconds(65),
                        () -> worst[0] = Math.max(worst[0], value(scrape(replicaPort), "walferry_replica_lag_seconds").orElseThrow()));
                assertThat(worst[0]).as("the idle replica's worst lag in seconds, scraped each second").isLessThanOrEqualTo(2.0);
                assertThat(prometheus.query("max_over_time(walferry_replica_lag_seconds{node=\"eu-west-1\"}[60s])").orElseThrow())
                        .isLessThanOrEqualTo(2.0);
                assertThat(prometheus.query("time() - walferry_replica_last_replayed_commit_timestamp_seconds{node=\"eu-west-1\"}")
                        .orElseThrow()).as("what 'now minus the last replay' would have said").isGreaterThan(60.0);
                // the repository, read every minute: the backup, and the window it allows
                Await.until(Duration.ofSeconds(70), "the agent to read the repository again",
                        () -> value(scrape(primaryPort), "walferry_repository_backups").orElse(0.0) == 1);
                String repo = scrape(primaryPort);
                assertThat(value(repo, "walferry_repository_wal_segments").orElseThrow()).isGreaterThanOrEqualTo(2);
                assertThat(value(repo, "walferry_repository_newest_backup_duration_seconds").orElseThrow()).isPositive();
                assertThat(repo).doesNotContain("walferry_restore_duration_seconds");
                assertThat(value(repo, "walferry_repository_pitr_window_start_timestamp_seconds").orElseThrow())
                        .isLessThanOrEqualTo(value(repo, "walferry_repository_pitr_window_end_timestamp_seconds").orElseThrow());

                // replay paused under writes: behind in bytes and in seconds, more and more
                replica.execute("select pg_wal_replay_pause()");
                long pausedAt = System.nanoTime();
                for (int i = 0; i < 15; i++) {
                    primary.execute("insert into t select g, 'after' from generate_series(" + (20000 + i * 100) + ", " + (20099 + i * 100) + ") g");
                    Pace.pause(Duration.ofSeconds(1)); // a write each second while replay is paused
                }
                Await.until(Duration.ofSeconds(30), "Prometheus to see the paused replica 10 s behind",
                        () -> prometheus.query("walferry_replica_lag_seconds{node=\"eu-west-1\"}").orElse(0.0) >= 10);
                double seconds1 = prometheus.query("walferry_replica_lag_seconds{node=\"eu-west-1\"}").orElseThrow();
                double bytes1 = prometheus.query("walferry_replica_lag_bytes{node=\"eu-west-1\"}").orElseThrow();
                assertThat(bytes1).isPositive();
                assertThat(seconds1).isLessThanOrEqualTo((System.nanoTime() - pausedAt) / 1e9 + 1);
                primary.execute("insert into t select g, 'later' from generate_series(30000, 30999) g");
                Await.until(Duration.ofSeconds(30), "the lag to grow in bytes and seconds",
                        () -> prometheus.query("walferry_replica_lag_bytes{node=\"eu-west-1\"}").orElse(0.0) > bytes1
                                && prometheus.query("walferry_replica_lag_seconds{node=\"eu-west-1\"}").orElse(0.0) >= seconds1 + 3);
                assertThat(value(scrape(replicaPort), "walferry_replica_replay_paused")).contains(1.0);

                replica.execute("select pg_wal_replay_resume()");
                Await.until(Duration.ofSeconds(60), "the resumed replica to catch up",
                        () -> value(scrape(replicaPort), "walferry_replica_lag_seconds").orElse(-1.0) == 0);
                assertThat(replicaAgent.isAlive()).isTrue();

                // the logical stream: its lag while it runs; stopped once its process is gone
                primary.execute("create role app login");
                primary.execute("create database copy owner app");
                ok(wf, "logical", "create", "copy");
                try (AgentProcess run = wf.startProcess("applying from", "logical", "run", "copy")) {
                    primary.execute("insert into t select g, 'streamed' from generate_series(40000, 40999) g");
                    Await.until(Duration.ofSeconds(60), "the primary's agent to report the stream running and caught up", () -> {
                        String m = scrape(primaryPort);
                        return value(m, "walferry_logical_stream_running").orElse(0.0) == 1
                                && value(m, "walferry_logical_stream_lag_bytes").orElse(-1.0) == 0
                                && value(m, "walferry_logical_stream_lag_seconds").isPresent();
                    });
                    String m = scrape(primaryPort);
                    assertThat(m).contains("walferry_logical_stream_phase{cluster=\"test\",node=\"us-east-1\",phase=\"streaming\",stream=\"copy\"} 1.0")
                            .contains("walferry_logical_stream_readable{cluster=\"test\",node=\"us-east-1\",stream=\"copy\"} 1.0");
                    assertThat(scrape(replicaPort)).doesNotContain("walferry_logical_stream");
                    run.stop();
                    primary.execute("insert into t select g, 'waits' from generate_series(50000, 50999) g");
                    Await.until(Duration.ofSeconds(60), "the stream to be reported stopped and behind", () -> {
                        String x = scrape(primaryPort);
                        return value(x, "walferry_logical_stream_running").orElse(1.0) == 0
                                && value(x, "walferry_logical_stream_lag_bytes").orElse(0.0) > 0;
                    });
                }
            }
            assertThat(primaryAgent.isAlive()).isTrue();
        }
    }

    private static Result ok(WalferryFixture wf, String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }
}
