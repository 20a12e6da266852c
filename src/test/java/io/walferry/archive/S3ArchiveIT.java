package io.walferry.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Archiving a real PostgreSQL 15 to S3 (S3Proxy): large segments in parts, encryption, catch-up and fallback. */
@ExtendWith(PgLogOnFailure.class)
class S3ArchiveIT {
    private static S3ProxyServer s3;
    private Path dir;
    private PgCluster pg;
    private WalferryFixture wf;

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
        dir = TempDirs.create("wf-s3archive-");
    }

    @AfterEach
    void tearDown() {
        if (pg != null) {
            pg.close();
        }
        TempDirs.deleteTree(dir);
    }

    /** An S3 repository item for the configuration, with its secrets in files only the server's user reads. */
    private String s3Repository(String name, String bucket, String endpoint, boolean required, boolean encrypted) {
        s3.createBucket(bucket);
        Path id = wf.secretFile(name + ".key-id", S3ProxyServer.ACCESS_KEY);
        Path secret = wf.secretFile(name + ".secret", S3ProxyServer.SECRET_KEY);
        String y = """
                  - name: %s
                    type: s3
                    bucket: %s
                    prefix: pg
                    endpoint: %s
                    path_style: true
                    part_size: 5MiB
                    retry_timeout: 3s
                    io_timeout: 5s
                    required: %s
                    credentials:
                      access_key_id: ${file:%s}
                      secret_access_key: ${file:%s}
                """.formatted(name, bucket, endpoint, required, id, secret);
        if (encrypted) {
            Path key = wf.secretFile(name + ".encryption-key", "sCsfz9rTpsNvrCTyDEH3Ep+pNwb1hrB0kmqVhLs165hlBYyao20RiJyMsD/Yexi6");
            y += "    encryption:\n      key: ${file:" + key + "}\n";
        }
        return y;
    }

    private String fsRepository() {
        return "  - name: local\n    type: fs\n    path: " + wf.repo() + "\n";
    }

    private String switchWal() throws SQLException {
        return pg.switchWal();
    }

    private void awaitArchived(String segment) {
        pg.awaitArchived(segment, Duration.ofSeconds(240));
    }

    private List<String> segmentsUpTo(String last) throws IOException {
        return pg.walSegmentsUpTo(last);
    }

    private static String key(String segment) {
        return "pg/test/wal/" + segment.substring(0, 16) + "/" + segment;
    }

    @Test
    void sixtyFourMegabyteSegmentsGoToEncryptedS3InPartsAndRestoreByteIdentical() throws Exception {
        pg = PgCluster.init(dir, "primary", 64);
        wf = new WalferryFixture(dir.resolve("wf"), pg, "  compression: lz4\n  workers: 2\n");
        wf.repositories(s3Repository("s3east", "wal-east", s3.endpoint().toString(), true, true));
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "2GB");
        pg.start();
        Result created = wf.run("repo-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        assertThat(created.out()).contains("s3east (s3://wal-east/pg at " + s3.endpoint());
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t as select g, md5(g::text) as h, repeat(md5((g * 7)::text), 3) as r from generate_series(1, 900000) g");
            String last = switchWal();
            awaitArchived(last);
            assertThat(pg.queryLong("select failed_count from pg_stat_archiver")).isZero();
            List<String> segments = segmentsUpTo(last);
            assertThat(segments).hasSizeGreaterThanOrEqualTo(3);

            Path work = Files.createDirectories(dir.resolve("restore"));
            ServerUser.chown(work);
            for (String seg : segments) {
                Path stored = s3.objectFile("wal-east", key(seg));
                assertThat(stored).as(seg + " stored").exists();
                // encrypted: the stored object carries encryption scheme 1 in its header
                assertThat(Files.readAllBytes(stored)[9]).isEqualTo((byte) 1);
                Result get = wf.run(work, "archive-get", seg, work.resolve("RECOVERYXLOG").toString());
                assertThat(get.exitCode()).as(seg + ": " + get.all()).isZero();
                assertThat(Files.mismatch(work.resolve("RECOVERYXLOG"), pg.dataDir().resolve("pg_wal").resolve(seg))).as(seg).isEqualTo(-1L);
                Files.delete(work.resolve("RECOVERYXLOG"));
            }
            // at least one object above the part size went up as a multipart upload and is whole
            assertThat(segments.stream().mapToLong(seg -> size(s3.objectFile("wal-east", key(seg)))).max().orElse(0))
                    .isGreaterThan(5L << 20);

            Result check = wf.run("check");
            assertThat(check.exitCode()).as(check.all()).isZero();
            assertThat(check.out()).contains("s3east (s3").contains("reached every repository");
            Result info = wf.run("info", "--output", "json");
            assertThat(info.exitCode()).as(info.all()).isZero();
            JsonNode repo = new ObjectMapper().readTree(info.out()).get(0);
            assertThat(repo.get("timelines").get(0).get("gaps")).isEmpty();
            assertThat(info.out()).doesNotContain(S3ProxyServer.SECRET_KEY);

            // a base backup into the encrypted bucket, restored and started: the same rows
            long rows = pg.queryLong("select count(*) from t");
            Result backup = wf.run("backup");
            assertThat(backup.exitCode()).as(backup.all()).isZero();
            // verify reads the bucket's objects (decrypted) and records the result there, where info finds it
            Result verify = wf.run("verify", "--output", "json");
            assertThat(verify.exitCode()).as(verify.all()).isZero();
            JsonNode verified = new ObjectMapper().readTree(verify.out()).get("repositories").get(0);
            assertThat(verified.get("wal_objects").asLong()).isGreaterThanOrEqualTo(segments.size());
            assertThat(verified.get("backups").get(0).get("ok").asBoolean()).isTrue();
            JsonNode afterVerify = new ObjectMapper().readTree(wf.run("info", "--output", "json").out()).get(0);
            assertThat(afterVerify.get("backups").get(0).get("verify").asText()).isEqualTo("ok");
            try (PgCluster restored = PgCluster.existing(dir, "restored")) {
                Result restore = wf.run("restore", "--target-dir", restored.dataDir().toString());
                assertThat(restore.exitCode()).as(restore.all()).isZero();
                restored.usePort();
                restored.set("archive_mode", "off");
                restored.start();
                Await.until(Duration.ofSeconds(120), "the restored cluster to finish recovery",
                        () -> "f".equals(restored.queryString("select pg_is_in_recovery()")));
                assertThat(restored.queryLong("select count(*) from t")).isEqualTo(rows);
            }
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void anS3RepositoryThatWasDownIsCaughtUpAndServesWhenTheOtherCopyIsCorrupt() throws Exception {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, null);
        try (FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            wf.repositories(fsRepository() + s3Repository("s3west", "wal-west", "http://127.0.0.1:" + proxy.port(), false, false));
            wf.enableArchiving(pg);
            pg.set("wal_keep_size", "1GB");
            pg.start();
            Result created = wf.run("repo-create");
            assertThat(created.exitCode()).as(created.all()).isZero();

            try (AgentProcess agent = wf.startAgent()) {
                // The bucket's region is down: every request gets 503 Slow Down.
                proxy.plan(r -> FaultProxy.Fault.SERVER_ERROR);
                pg.execute("create table t as select g, md5(g::text) from generate_series(1, 40000) g");
                String seg = switchWal();
                awaitArchived(seg);
                assertThat(pg.queryLong("select failed_count from pg_stat_archiver")).as("archiving is not held up").isZero();
                Await.until(Duration.ofSeconds(60), "the miss to be noted", () -> agent.log().contains("will catch up"));
                assertThat(s3.objectFile("wal-west", key(seg))).doesNotExist();

                proxy.plan(r -> FaultProxy.Fault.NONE);
                Await.until(Duration.ofSeconds(120), "the agent to catch the S3 repository up",
                        () -> Files.exists(s3.objectFile("wal-west", key(seg))));
                assertThat(agent.log()).contains("caught up repository s3west with");
                // every file it missed, not only the newest one, in whatever order the agent takes them
                Await.until(Duration.ofSeconds(120), "the S3 repository to hold what the filesystem one holds", () -> {
                    JsonNode repos = new ObjectMapper().readTree(wf.run("info", "--output", "json").out());
                    return repos.get(1).get("timelines").get(0).get("segments").equals(repos.get(0).get("timelines").get(0).get("segments"));
                });
                JsonNode repos = new ObjectMapper().readTree(wf.run("info", "--output", "json").out());
                assertThat(repos.get(1).get("timelines").get(0).get("gaps")).isEmpty();

                // The filesystem copy is damaged: the S3 copy is handed over, with a warning.
                Path local = wf.repo().resolve("test/wal/" + seg.substring(0, 16) + "/" + seg);
                byte[] bad = Files.readAllBytes(local);
                bad[bad.length / 2] ^= 0x08;
                Files.write(local, bad);
                Path work = Files.createDirectories(dir.resolve("fallback"));
                ServerUser.chown(work);
                Result get = wf.run(work, "archive-get", seg, work.resolve("RECOVERYXLOG").toString());
                assertThat(get.exitCode()).as(get.all()).isZero();
                assertThat(get.err()).contains("altered").contains("used the copy in repository s3west");
                assertThat(Files.mismatch(work.resolve("RECOVERYXLOG"), pg.dataDir().resolve("pg_wal").resolve(seg))).isEqualTo(-1L);
            }
        }
    }
}
