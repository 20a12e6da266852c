package io.walferry.agent;

import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.FaultProxy;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The synchronous archive (archive.synchronous, docs/streaming.md#a-synchronous-archive) on S3 (S3Proxy): every commit
 * acknowledged to a client survives the loss of the primary's host, restored from the repository alone; while S3 is
 * unreachable commits wait (synchronous_timeout 0) or, after synchronous_timeout, go on without the archive, which
 * joins again once the stream caught up; nothing is confirmed that is not stored, and no byte is stored twice.
 */
@ExtendWith(PgLogOnFailure.class)
class SynchronousArchiveIT {
    private static final String SLOT = "walferry_stream_primary";
    private static S3ProxyServer s3;
    private Path dir;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyServer.start(false);
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-sync-archive-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    @Test
    void everyAcknowledgedCommitSurvivesTheLossOfThePrimarysHost() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = onS3(primary, "lost", s3.endpoint().getPort(), "");
            assertThat(wf.run("backup").exitCode()).isZero();
            primary.execute("create table t (id int primary key, writer int, at timestamptz default now())");
            Set<Integer> acknowledged = new ConcurrentSkipListSet<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            String lastSegment;
            try (AgentProcess agent = wf.startAgent()) {
                awaitSynchronous(primary);
                AtomicInteger next = new AtomicInteger();
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    writers.submit(() -> write(primary, writer, next, acknowledged, writing));
                }
                Await.until(Duration.ofSeconds(120), "100 acknowledged commits", () -> acknowledged.size() >= 100);
                lastSegment = primary.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                // the host is lost: PostgreSQL and the agent killed as they run, the data directory gone
                primary.crash();
                agent.kill9();
            } finally {
                writing.set(false);
                writers.shutdown();
                assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            }
            TempDirs.deleteTree(primary.dataDir());

            PgCluster restored = PgCluster.existing(dir, "restored");
            Result restore = wf.run("restore", "--target-dir", restored.dataDir().toString());
            assertThat(restore.exitCode()).as(restore.all()).isZero();
            restored.usePort();
            restored.set("archive_mode", "off");
            try (restored) {
                restored.start();
                Await.until(Duration.ofSeconds(180), "the restored server to finish recovery", () -> {
                    try {
                        return restored.queryString("select pg_is_in_recovery()").equals("f");
                    } catch (SQLException e) {
                        return false;
                    }
                });
                Set<Integer> present = new TreeSet<>();
                try (Connection c = restored.connect(); Statement st = c.createStatement(); ResultSet r = st.executeQuery("select id from t")) {
                    while (r.next()) {
                        present.add(r.getInt(1));
                    }
                }
                Set<Integer> lost = new TreeSet<>(acknowledged);
                lost.removeAll(present);
                System.out.printf("SynchronousArchiveIT: %d commits acknowledged, %d restored, last segment %s%n", acknowledged.size(), present.size(),
                        lastSegment);
                assertThat(lost).as("acknowledged commits missing from the restore").isEmpty();
            }
        }
    }

    @Test
    void whileS3IsUnreachableCommitsWaitOrAfterTheTimeoutGoOnAndTheStreamCatchesUpWithoutAGap() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1); FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            WalferryFixture wf = onS3(primary, "outage", proxy.port(), "");
            primary.execute("create table t (id int primary key, note text)");
            ExecutorService writer = Executors.newSingleThreadExecutor();
            try {
                // commits wait (synchronous_timeout 0): nothing is acknowledged, nothing confirmed, while S3 is gone
                try (AgentProcess agent = wf.startAgent()) {
                    awaitSynchronous(primary);
                    StreamIT.commitRow(primary, 1);
                    proxy.plan(r -> FaultProxy.Fault.DROP_REQUEST);
                    String before = primary.queryString("select pg_current_wal_insert_lsn()::text");
                    Future<String> waiting = writer.submit(() -> StreamIT.commitRow(primary, 2));
                    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).as("S3 unreachable: the commit waits")
                            .isInstanceOf(TimeoutException.class);
                    assertThat(lsnAtMost(primary, "restart_lsn", before)).as("nothing confirmed that is not stored").isTrue();
                    assertThat(primary.queryString("select current_setting('synchronous_standby_names')")).contains(SLOT);
                    proxy.plan(r -> FaultProxy.Fault.NONE);
                    String row2 = waiting.get(120, TimeUnit.SECONDS);
                    assertThat(lsnAtMost(primary, "'" + row2 + "'::pg_lsn", slotRestart(primary))).as("acknowledged once stored").isTrue();
                    assertThat(agent.log()).doesNotContain("dropped from synchronous_standby_names").doesNotContain("differ");
                    agent.stop();
                }

                // synchronous_timeout 3s: after it, commits go on without the archive; it joins again once caught up
                wf.writeConfig(List.of(primary), streaming("  synchronous_timeout: 3s\n"));
                try (AgentProcess agent = wf.startAgent()) {
                    awaitSynchronous(primary);
                    proxy.plan(r -> FaultProxy.Fault.DROP_REQUEST);
                    String before = primary.queryString("select pg_current_wal_insert_lsn()::text");
                    writer.submit(() -> StreamIT.commitRow(primary, 3)).get(120, TimeUnit.SECONDS);
                    // the commit returns once the reload drops the archive; the agent logs it just after
                    Await.until(Duration.ofSeconds(30), "the agent to log the archive dropped",
                            () -> agent.log().contains("dropped from synchronous_standby_names"));
                    assertThat(primary.queryString("select current_setting('synchronous_standby_names')")).doesNotContain(SLOT);
                    for (int i = 4; i <= 50; i++) {
                        StreamIT.commitRow(primary, i);
                    }
                    assertThat(lsnAtMost(primary, "restart_lsn", before)).as("the slot keeps what was not stored").isTrue();
                    com.fasterxml.jackson.databind.JsonNode dropped = walStream(wf);
                    assertThat(dropped.get("synchronous").asText()).isEqualTo("DROPPED");
                    assertThat(dropped.get("lagBytes").asLong()).as("the WAL not stored").isPositive();
                    String last = primary.queryString("select pg_current_wal_flush_lsn()::text");
                    proxy.plan(r -> FaultProxy.Fault.NONE);
                    Await.until(Duration.ofSeconds(120), "the archive to join the synchronous set again", () -> primary.queryString(
                            "select current_setting('synchronous_standby_names')").contains(SLOT));
                    assertThat(lsnAtMost(primary, "'" + last + "'::pg_lsn", slotRestart(primary))).as("caught up").isTrue();
                    assertThat(agent.log()).contains("caught up").doesNotContain("differ");
                    StreamIT.commitRow(primary, 51);
                    com.fasterxml.jackson.databind.JsonNode back = walStream(wf);
                    assertThat(back.get("synchronous").asText()).isEqualTo("waited for");
                    assertThat(back.get("active").asBoolean()).isTrue();
                    assertThat(back.get("syncState").asText()).isEqualTo("sync");
                    assertThat(back.get("storedLsn").asText()).isEqualTo(slotRestart(primary));
                    Result text = wf.run("status");
                    assertThat(text.out()).contains("WAL stream of primary (slot " + SLOT + "): active, stored to ")
                            .contains("synchronous: commits wait for it");
                }
                // every segment and piece stored once, each verified; the prefix of the newest segment holds row 51
                primary.switchWal();
                Result verify = wf.run("verify");
                assertThat(verify.exitCode()).as(verify.all()).isZero();
            } finally {
                writer.shutdownNow();
            }
        }
    }

    /** The stream's item of walferry status --output json. */
    private static com.fasterxml.jackson.databind.JsonNode walStream(WalferryFixture wf) throws java.io.IOException {
        Result status = wf.run("status", "--output", "json");
        for (com.fasterxml.jackson.databind.JsonNode item : new com.fasterxml.jackson.databind.ObjectMapper().readTree(status.out())) {
            if ("wal_stream".equals(item.path("kind").asText())) {
                return item;
            }
        }
        throw new AssertionError("no wal_stream in " + status.all());
    }

    /** A primary archiving into an S3 bucket of its own at {@code port} (S3Proxy, or a proxy in front of it), streaming synchronously. */
    private WalferryFixture onS3(PgCluster primary, String bucket, int port, String extra) throws java.io.IOException {
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, streaming(extra));
        s3.createBucket(bucket);
        Path id = wf.secretFile("s3.key-id", S3ProxyServer.ACCESS_KEY);
        Path secret = wf.secretFile("s3.secret", S3ProxyServer.SECRET_KEY);
        wf.repositories("""
                  - name: s3
                    type: s3
                    bucket: %s
                    prefix: pg
                    endpoint: http://127.0.0.1:%d
                    path_style: true
                    retry_timeout: 2s
                    io_timeout: 5s
                    credentials:
                      access_key_id: ${file:%s}
                      secret_access_key: ${file:%s}
                """.formatted(bucket, port, id, secret));
        wf.enableArchiving(primary);
        primary.start();
        Result create = wf.run("repo-create");
        assertThat(create.exitCode()).as(create.all()).isZero();
        ServerUser.chown(wf.dir());
        return wf;
    }

    private static String streaming(String extra) {
        return "  stream: on\n  synchronous: on\n" + extra;
    }

    private static void awaitSynchronous(PgCluster primary) {
        Await.until(Duration.ofSeconds(60), "the stream as the synchronous standby", () -> primary.queryLong(
                "select count(*) from pg_stat_replication where application_name = '" + SLOT + "' and sync_state = 'sync'") == 1);
    }

    private static void write(PgCluster primary, int writer, AtomicInteger next, Set<Integer> acknowledged, AtomicBoolean writing) {
        try (Connection c = primary.connect(); Statement st = c.createStatement()) {
            while (writing.get()) {
                int id = next.incrementAndGet();
                st.execute("insert into t (id, writer) values (" + id + ", " + writer + ")");
                acknowledged.add(id); // the commit returned: acknowledged to the client
            }
        } catch (SQLException e) {
            // the server is gone: what was acknowledged is recorded
        }
    }

    /** Whether {@code expression} (over the stream slot's row) is at most {@code lsn}. */
    private static boolean lsnAtMost(PgCluster primary, String expression, String lsn) throws SQLException {
        return primary.queryString("select (" + expression + " <= '" + lsn + "'::pg_lsn)::text from pg_replication_slots where slot_name = '"
                + SLOT + "'").equals("true");
    }

    private static String slotRestart(PgCluster primary) throws SQLException {
        return primary.queryString("select restart_lsn::text from pg_replication_slots where slot_name = '" + SLOT + "'");
    }
}
