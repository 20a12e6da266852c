package io.walferry.agent;

import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * WAL streamed into the repository (archive.stream, docs/streaming.md): an archive-only standby, fed through the
 * repository alone, sees a commit within seconds although the primary neither fills nor switches its segment
 * (archive_timeout = 0); the stream survives kill -9 of its agent without a gap or a second version of any byte;
 * archive_command and the stream store the same segments.
 */
@ExtendWith(PgLogOnFailure.class)
class StreamIT {
    private static final String SLOT = "walferry_stream_primary";
    /**
     * A generous deadline, not the target: how soon a commit is visible (2 s p99 is the target) is measured by
     * bench/stream.sh on a quiet machine; here the point is that it arrives while its segment is neither complete nor
     * archived.
     */
    private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(60);
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
        dir = TempDirs.create("wf-stream-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    @Test
    void archiveOnlyStandbyOnAFilesystemRepositorySeesACommitOfAnUnfinishedSegment() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, streaming());
            ownMetricsPorts(wf);
            commitReachesTheArchiveOnlyStandby(primary, wf, true);
        }
    }

    @Test
    void archiveOnlyStandbyOnS3SeesACommitOfAnUnfinishedSegment() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, streaming());
            ownMetricsPorts(wf);
            s3.createBucket("stream");
            Path id = wf.secretFile("s3.key-id", S3ProxyServer.ACCESS_KEY);
            Path secret = wf.secretFile("s3.secret", S3ProxyServer.SECRET_KEY);
            wf.repositories("""
                      - name: s3
                        type: s3
                        bucket: stream
                        prefix: pg
                        endpoint: %s
                        path_style: true
                        retry_timeout: 3s
                        io_timeout: 5s
                        credentials:
                          access_key_id: ${file:%s}
                          secret_access_key: ${file:%s}
                    """.formatted(s3.endpoint(), id, secret));
            commitReachesTheArchiveOnlyStandby(primary, wf, false);
        }
    }

    private void commitReachesTheArchiveOnlyStandby(PgCluster primary, WalferryFixture wf, boolean filesystem) throws Exception {
        wf.enableArchiving(primary);
        primary.start();
        assertThat(wf.run("repo-create").exitCode()).isZero();
        try (AgentProcess agent = wf.startAgent()) {
            primary.execute("create table t (id int primary key, note text)");
            awaitStreaming(primary);
            try (PgCluster standby = PgCluster.baseBackup(primary, dir, "standby", false)) {
                archiveOnly(standby, wf);
                standby.start();
                primary.execute("insert into t values (1, 'before')");
                Await.until(Duration.ofSeconds(120), "the standby to replay from the archive",
                        () -> standby.queryLong("select count(*) from t") == 1);

                // one commit, then nothing: no segment is completed or switched (archive_timeout = 0)
                String segment = primary.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                for (int i = 2; i <= 4; i++) {
                    primary.execute("insert into t values (" + i + ", 'streamed')");
                    int id = i;
                    long started = System.nanoTime();
                    Await.until(VISIBLE_WITHIN, "row " + i + " on the archive-only standby",
                            () -> standby.queryLong("select count(*) from t where id = " + id) == 1);
                    System.out.printf("StreamIT: row %d visible on the standby after %d ms%n", i, (System.nanoTime() - started) / 1_000_000);
                }
                assertThat(primary.queryString("select pg_walfile_name(pg_current_wal_lsn())")).as("still the same segment").isEqualTo(segment);
                if (filesystem) {
                    // a filesystem repository: the segment's pieces appended to one file, which the standby read
                    try (Stream<Path> names = Files.list(wf.repo().resolve("test/stream/" + segment))) {
                        assertThat(names.map(n -> n.getFileName().toString())).containsExactly("pieces");
                    }
                }
                assertThat(primary.queryLong("select count(*) from pg_stat_archiver where last_archived_wal >= '" + segment + "'"))
                        .as("the segment was not archived: the standby read the streamed prefix").isZero();
                assertThat(standby.queryLong("select count(*) from pg_stat_wal_receiver")).as("no streaming replication").isZero();
                assertThat(standby.queryString("select note from t where id = 4")).isEqualTo("streamed");
            }
            assertThat(agent.log()).doesNotContain("ERROR");
        }
    }

    @Test
    void underLoadAcrossSegmentEndsTheStandbyFollowsPrefixesAndWholeSegments() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = archivingPrimary(primary);
            try (AgentProcess agent = wf.startAgent()) {
                primary.execute("create table t (id int primary key, note text)");
                awaitStreaming(primary);
                String first;
                try (PgCluster standby = PgCluster.baseBackup(primary, dir, "standby", false)) {
                    archiveOnly(standby, wf);
                    standby.start();
                    first = primary.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                    // about 5 MB of WAL in commits of 16 kB (500 different hashes: TOAST cannot compress them) while the
                    // standby replays their prefixes: several 1 MB segments complete
                    try (java.sql.Connection c = primary.connect(); java.sql.Statement st = c.createStatement()) {
                        for (int i = 1; i <= 300; i++) {
                            st.execute("insert into t values (" + i + ", (select string_agg(md5(random()::text), '') from generate_series(1, 500)))");
                        }
                    }
                    String last = primary.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                    assertThat(last).as("several segments were completed").isGreaterThan(first);
                    long started = System.nanoTime();
                    Await.until(Duration.ofSeconds(30), "every row on the archive-only standby",
                            () -> standby.queryLong("select count(*) from t") == 300);
                    System.out.printf("StreamIT: under load, the last of 300 commits visible after %d ms%n", (System.nanoTime() - started) / 1_000_000);
                    assertThat(standby.queryLong("select count(*) from t where length(note) = 16000")).isEqualTo(300);
                    assertThat(primary.queryLong("select count(*) from pg_stat_archiver where last_archived_wal >= '" + last + "'"))
                            .as("the newest segment came from the stream").isZero();
                }
                assertThat(agent.log()).doesNotContain("ERROR").contains("stream: " + first + " complete");
            }
        }
    }

    @Test
    void killNineOfTheStreamingAgentLeavesNoGapAndTheSlotResumes() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = archivingPrimary(primary);
            String older = primary.switchWal();
            primary.awaitArchived(older, Duration.ofSeconds(60));
            primary.execute("create table t (id int primary key, note text)");
            String segment;
            String confirmedBefore;
            try (AgentProcess agent = wf.startAgent()) {
                awaitStreaming(primary);
                segment = primary.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                primary.execute("insert into t select g, 'before the kill' from generate_series(1, 200) g");
                Path pieces = wf.repo().resolve("test/stream/" + segment);
                Await.until(Duration.ofSeconds(30), "pieces of " + segment, () -> Files.isDirectory(pieces) && count(pieces) > 0);
                assertThat(count(pieces)).as("one file of appended pieces").isEqualTo(1);
                assertThat(pieces.resolve("pieces")).exists();
                Await.until(Duration.ofSeconds(30), "the slot to confirm what was streamed", () -> primary.queryString(
                        "select (restart_lsn >= pg_current_wal_flush_lsn())::text from pg_replication_slots where slot_name = '" + SLOT + "'").equals("true"));
                confirmedBefore = slotRestart(primary);
                // mid-segment, with WAL arriving
                primary.execute("insert into t select g, 'while it dies' from generate_series(201, 400) g");
                agent.kill9();
            }
            assertThat(primary.queryString("select active::text from pg_replication_slots where slot_name = '" + SLOT + "'"))
                    .as("the slot outlives its agent").isEqualTo("false");
            primary.execute("insert into t select g, 'while it is down' from generate_series(401, 600) g");
            // a segment stored whole whose pieces a crash left behind (between the push and their removal)
            assertThat(wf.repo().resolve("test/wal/" + older.substring(0, 16) + "/" + older)).exists();
            byte[] olderBytes = new byte[8192];
            new io.walferry.repository.Repository("local", new io.walferry.repository.storage.FsStorage(wf.repo()), "test")
                    .putStreamPiece(new io.walferry.postgres.WalFileName.Segment(older), 0, olderBytes, 0, olderBytes.length,
                            new io.walferry.config.Compression(io.walferry.config.CompressionType.LZ4, 0));
            io.walferry.testing.ServerUser.chown(wf.repo());
            assertThat(primary.queryString("select pg_walfile_name(pg_current_wal_lsn())")).as("still mid-segment").isEqualTo(segment);

            try (AgentProcess agent = wf.startAgent()) {
                Await.until(Duration.ofSeconds(60), "the slot to resume past the WAL written while the agent was down", () -> primary.queryString(
                        "select (restart_lsn >= pg_current_wal_flush_lsn() and restart_lsn > '" + confirmedBefore + "')::text from pg_replication_slots where slot_name = '"
                                + SLOT + "'").equals("true"));
                assertThat(wf.repo().resolve("test/stream/" + older)).as("left pieces of a segment stored whole, removed").doesNotExist();
                // the archive-only restore of the newest WAL has every row, from the pieces alone
                Path work = dir.resolve("get");
                Files.createDirectories(work);
                io.walferry.testing.ServerUser.chown(work);
                Result get = wf.run(work, "archive-get", segment, work.resolve("RECOVERYXLOG").toString());
                assertThat(get.exitCode()).as(get.all()).isZero();
                assertThat(Files.size(work.resolve("RECOVERYXLOG"))).isEqualTo(1 << 20);
                // the prefix it was given is the server's WAL up to where the slot confirmed it, across the kill
                int confirmed = (int) (io.walferry.postgres.Lsn.parse(slotRestart(primary)).value() % (1 << 20));
                byte[] given = Files.readAllBytes(work.resolve("RECOVERYXLOG"));
                byte[] server = Files.readAllBytes(primary.dataDir().resolve("pg_wal/" + segment));
                assertThat(confirmed).as("past the WAL written before the kill").isGreaterThan(0);
                assertThat(java.util.Arrays.equals(given, 0, confirmed, server, 0, confirmed)).as("the stored prefix is the server's WAL").isTrue();

                // the segment completes: stored whole, by the stream and by archive_command alike, its pieces gone
                String last = primary.switchWal();
                assertThat(last).isEqualTo(segment);
                primary.awaitArchived(last, Duration.ofSeconds(60));
                Await.until(Duration.ofSeconds(60), "the stream to store " + segment + " whole", () -> agent.log().contains("stream: " + segment + " complete"));
                Await.until(Duration.ofSeconds(30), "the pieces to go", () -> !Files.exists(wf.repo().resolve("test/stream/" + segment)));
                assertThat(primary.queryLong("select failed_count from pg_stat_archiver")).as("archive_command agreed with the stream").isZero();
                // archive-push's JVM of the same segment, after the stream stored it: the same object, accepted;
                // a copy with one byte changed: refused, the stored object kept
                Result again = pushWithoutFastPath(wf, primary, "pg_wal/" + segment);
                assertThat(again.exitCode()).as(again.all()).isZero();
                Path altered = primary.dataDir().resolve("pg_wal/wftest/" + segment);
                Files.createDirectories(altered.getParent());
                byte[] bytes = Files.readAllBytes(primary.dataDir().resolve("pg_wal/" + segment));
                bytes[(1 << 19) + 123] ^= 1;
                Files.write(altered, bytes);
                io.walferry.testing.ServerUser.chown(altered.getParent());
                io.walferry.testing.ServerUser.chown(altered);
                Result different = pushWithoutFastPath(wf, primary, "pg_wal/wftest/" + segment);
                assertThat(different.exitCode()).as(different.all()).isNotZero();
                assertThat(different.err()).contains("with different content").contains("the stored copy was kept");
                assertThat(agent.log()).doesNotContain("ERROR").doesNotContain("differ");

                Result verify = wf.run("verify");
                assertThat(verify.exitCode()).as(verify.all()).isZero();
                assertThat(verify.out()).startsWith("verify: all good");

                // verify reads pieces: one that differs from the whole segment stored, one whose bytes rotted
                var repo = new io.walferry.repository.Repository("local", new io.walferry.repository.storage.FsStorage(wf.repo()), "test");
                var lz4 = new io.walferry.config.Compression(io.walferry.config.CompressionType.LZ4, 0);
                repo.putStreamPiece(new io.walferry.postgres.WalFileName.Segment(older), 0, olderBytes, 0, olderBytes.length, lz4);
                var ahead = new io.walferry.postgres.WalFileName.Segment("0000000100000000000000F0");
                byte[] someWal = new byte[4096];
                new java.util.Random(7).nextBytes(someWal);
                repo.putStreamPiece(ahead, 0, someWal, 0, 2048, lz4);
                repo.putStreamPiece(ahead, 2048, someWal, 2048, 2048, lz4);
                // the first of the two frames appended to the segment's piece file (a good frame follows it: damage, no torn tail)
                Path rotted = wf.repo().resolve("test/stream/" + ahead.fileName() + "/pieces");
                byte[] stored = Files.readAllBytes(rotted);
                stored[stored.length / 4] ^= 0x40;
                Files.write(rotted, stored);
                io.walferry.testing.ServerUser.chown(wf.repo());
                Result findings = wf.run("verify");
                assertThat(findings.exitCode()).as(findings.all()).isNotZero();
                assertThat(findings.all()).contains("stream/" + older + "/00000000").contains("holds other bytes than the whole segment")
                        .contains("stream/" + ahead.fileName() + "/00000000");

                // expire: the pieces of a segment stored whole go once older than the grace; those of one not stored whole stay
                Result young = wf.run("expire", "--keep", "10", "--output", "json");
                assertThat(young.exitCode()).as(young.all()).isZero();
                assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(young.out()).get(0).get("stream_pieces_removed").asInt())
                        .as("younger than the grace").isZero();
                var expired = new io.walferry.backup.StreamPieceExpiry(repo).apply(io.walferry.backup.StreamPieceExpiry.DEFAULT_GRACE,
                        java.time.Instant.now().plus(Duration.ofMinutes(11)), false);
                assertThat(expired.segmentsRemoved()).containsExactly(older);
                assertThat(wf.repo().resolve("test/stream/" + older)).doesNotExist();
                assertThat(rotted).exists();
            }
        }
    }

    @Test
    void afterAPromotionTheNewPrimaryStreamsItsTimelineWithItsHistoryFile() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = archivingPrimary(primary);
            primary.execute("create table t (id int primary key, note text)");
            primary.execute("insert into t values (1, 'timeline 1')");
            try (PgCluster replica = PgCluster.baseBackup(primary, dir, "replica", true)) {
                wf.enableArchiving(replica);
                replica.set("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=postgres");
                replica.touch("standby.signal");
                wf.writeConfig(List.of(primary, replica), streaming());
                replica.start();
                Await.until(Duration.ofSeconds(60), "the replica to stream", () -> replica.queryLong("select count(*) from t") == 1);
                try (AgentProcess agent = wf.startAgent("replica")) {
                    replica.execute("select pg_promote()");
                    Await.until(Duration.ofSeconds(60), "promotion", () -> "f".equals(replica.queryString("select pg_is_in_recovery()")));
                    replica.execute("insert into t values (2, 'timeline 2')");
                    String segment = replica.queryString("select pg_walfile_name(pg_current_wal_lsn())");
                    assertThat(segment).startsWith("00000002");

                    Path history = wf.repo().resolve("test/wal/history/00000002.history");
                    Await.until(Duration.ofSeconds(60), "the new timeline's history file and pieces of " + segment,
                            () -> Files.exists(history) && Files.isDirectory(wf.repo().resolve("test/stream/" + segment)));
                    Path work = dir.resolve("get");
                    Files.createDirectories(work);
                    io.walferry.testing.ServerUser.chown(work);
                    Result get = wf.run(work, "archive-get", "00000002.history", work.resolve("h").toString());
                    assertThat(get.exitCode()).as(get.all()).isZero();
                    assertThat(Files.mismatch(work.resolve("h"), replica.dataDir().resolve("pg_wal/00000002.history"))).isEqualTo(-1L);
                    Result prefix = wf.run(work, "archive-get", segment, work.resolve("RECOVERYXLOG").toString());
                    assertThat(prefix.exitCode()).as("the prefix streamed on timeline 2: " + prefix.all()).isZero();
                    Await.until(Duration.ofSeconds(30), "the slot to confirm timeline 2's WAL", () -> replica.queryString(
                            "select (restart_lsn >= pg_current_wal_flush_lsn())::text from pg_replication_slots where slot_name = 'walferry_stream_replica'")
                            .equals("true"));
                    assertThat(agent.log()).contains("receiving WAL of timeline 2").doesNotContain("ERROR");
                }
            }
        }
    }

    @Test
    void piecesThatDifferFromTheServersWalAreRefusedAndTheSlotStaysWhereItWas() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = archivingPrimary(primary);
            // the slot first, to know the segment the stream starts in; a piece of other bytes at its start
            String restart = primary.queryString("select lsn::text from pg_create_physical_replication_slot('" + SLOT + "', true)");
            String segment = io.walferry.postgres.WalFileName.Segment.of(1, io.walferry.postgres.Lsn.parse(restart).segmentNumber(1 << 20), 1 << 20)
                    .fileName();
            byte[] foreign = new byte[4096];
            new java.util.Random(1).nextBytes(foreign);
            new io.walferry.repository.Repository("local", new io.walferry.repository.storage.FsStorage(wf.repo()), "test")
                    .putStreamPiece(new io.walferry.postgres.WalFileName.Segment(segment), 0, foreign, 0, foreign.length,
                            new io.walferry.config.Compression(io.walferry.config.CompressionType.LZ4, 0));
            io.walferry.testing.ServerUser.chown(wf.repo());
            primary.execute("create table t as select g from generate_series(1, 1000) g");

            try (AgentProcess agent = wf.startAgent()) {
                Await.until(Duration.ofSeconds(60), "the stream to refuse the foreign piece",
                        () -> agent.log().contains("that differ from the WAL the server sends"));
                assertThat(slotRestart(primary)).as("nothing confirmed past the refused piece").isEqualTo(restart);
                assertThat(Files.readAllBytes(wf.repo().resolve("test/stream/" + segment + "/pieces"))).as("the stored piece, kept")
                        .isNotEmpty();
            }
        }
    }

    @Test
    void aSynchronousArchiveAcknowledgesACommitOnlyOnceItsWalIsStored() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, streaming() + "  synchronous: on\n");
            ownMetricsPorts(wf);
            wf.enableArchiving(primary);
            primary.start();
            assertThat(wf.run("repo-create").exitCode()).isZero();
            primary.execute("create table t (id int primary key, note text)");
            java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                try (AgentProcess agent = wf.startAgent()) {
                    awaitStreaming(primary);
                    // the agent names its stream in synchronous_standby_names itself
                    Await.until(Duration.ofSeconds(30), "the stream as the synchronous standby", () -> primary.queryLong(
                            "select count(*) from pg_stat_replication where application_name = '" + SLOT + "' and sync_state = 'sync'") == 1);
                    String before = commitRow(primary, 1);
                    assertThat(primary.queryString("select (restart_lsn > '" + before + "')::text from pg_replication_slots where slot_name = '" + SLOT + "'"))
                            .as("acknowledged: the commit's WAL is in the repository").isEqualTo("true");
                    agent.kill9();
                }
                java.util.concurrent.Future<String> waiting = writer.submit(() -> commitRow(primary, 2));
                assertThatThrownBy(() -> waiting.get(3, java.util.concurrent.TimeUnit.SECONDS)).as("no archive, no acknowledgement")
                        .isInstanceOf(java.util.concurrent.TimeoutException.class);
                try (AgentProcess agent = wf.startAgent()) {
                    String before = waiting.get(60, java.util.concurrent.TimeUnit.SECONDS);
                    assertThat(primary.queryString("select (restart_lsn > '" + before + "')::text from pg_replication_slots where slot_name = '" + SLOT + "'"))
                            .isEqualTo("true");
                    assertThat(agent.log()).doesNotContain("ERROR");
                }
            } finally {
                writer.shutdownNow();
                primary.execute("alter system reset synchronous_standby_names");
                primary.execute("select pg_reload_conf()");
            }
        }
    }

    /** Inserts row {@code id} and commits; the WAL position just before the commit record. */
    static String commitRow(PgCluster primary, int id) throws SQLException {
        try (java.sql.Connection c = primary.connect(); java.sql.Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("insert into t values (" + id + ", 'synchronous')");
            String lsn;
            try (java.sql.ResultSet r = st.executeQuery("select pg_current_wal_insert_lsn()::text")) {
                r.next();
                lsn = r.getString(1);
            }
            c.commit();
            return lsn;
        }
    }

    @Test
    void streamingOffDropsTheSlot() throws Exception {
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = archivingPrimary(primary);
            try (AgentProcess agent = wf.startAgent()) {
                Await.until(Duration.ofSeconds(60), "the stream slot", () -> primary.queryLong(
                        "select count(*) from pg_replication_slots where slot_name = '" + SLOT + "'") == 1);
                agent.stop();
            }
            wf.writeConfig(List.of(primary), null);
            try (AgentProcess agent = wf.startAgent()) {
                Await.until(Duration.ofSeconds(60), "the slot to be dropped", () -> primary.queryLong(
                        "select count(*) from pg_replication_slots where slot_name = '" + SLOT + "'") == 0);
            }
        }
    }

    /** A primary archiving into a registered repository, with streaming on (the agent not started). */
    private WalferryFixture archivingPrimary(PgCluster primary) {
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, streaming());
        ownMetricsPorts(wf);
        wf.enableArchiving(primary);
        primary.start();
        assertThat(wf.run("repo-create").exitCode()).isZero();
        return wf;
    }

    private static void awaitStreaming(PgCluster primary) {
        Await.until(Duration.ofSeconds(60), "the stream slot", () -> primary.queryLong(
                "select count(*) from pg_replication_slots where slot_name = '" + SLOT + "' and active") == 1);
    }

    /**
     * Metrics ports of the test's own for the nodes' agents: the default one may be taken by another test run on this
     * machine, which the agent logs as an ERROR.
     */
    private static void ownMetricsPorts(WalferryFixture wf) {
        wf.nodeKeys(java.util.Map.of("primary", "    metrics_port: " + PgCluster.allocatePort() + "\n",
                "replica", "    metrics_port: " + PgCluster.allocatePort() + "\n"), null);
    }

    private static Result pushWithoutFastPath(WalferryFixture wf, PgCluster primary, String file) {
        return WalferryFixture.exec(io.walferry.testing.ServerUser.wrap(List.of("env", "WALFERRY_NO_FAST_PATH=1", WalferryFixture.launcher().toString(),
                "-c", wf.config().toString(), "archive-push", file)), primary.dataDir(), Duration.ofMinutes(3));
    }

    private static String streaming() {
        return "  stream: on\n  stream_interval: 100ms\n";
    }

    /** An archive-only standby: restore_command as walferry writes it, no primary_conninfo, retrying the archive often. */
    private static void archiveOnly(PgCluster standby, WalferryFixture wf) {
        standby.set("restore_command", wf.writtenRestoreCommand());
        standby.set("wal_retrieve_retry_interval", "200ms");
        standby.touch("standby.signal");
    }

    private static String slotRestart(PgCluster primary) throws SQLException {
        return primary.queryString("select restart_lsn::text from pg_replication_slots where slot_name = '" + SLOT + "'");
    }

    private static long count(Path directory) throws java.io.IOException {
        try (Stream<Path> s = Files.list(directory)) {
            return s.count();
        }
    }
}
