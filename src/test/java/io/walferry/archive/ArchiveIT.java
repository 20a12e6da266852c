package io.walferry.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** archive-push, archive-get and the agent against a real PostgreSQL 15 and a filesystem repository. */
@ExtendWith(PgLogOnFailure.class)
class ArchiveIT {
    private Path dir;
    private PgCluster pg;
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-archive-");
    }

    @AfterEach
    void tearDown() {
        if (pg != null) {
            pg.close();
        }
        TempDirs.deleteTree(dir);
    }

    /** A primary with 1 MB segments (many segments from little data), archiving through walferry. */
    private void startPrimary(int segmentMb, String archiveYaml) {
        pg = PgCluster.init(dir, "primary", segmentMb);
        wf = new WalferryFixture(dir.resolve("wf"), pg, archiveYaml);
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "2GB");
        pg.start();
        Result r = wf.run("repo-create");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("registered cluster test");
    }

    private String switchWal() throws SQLException {
        return pg.switchWal();
    }

    private void awaitArchived(String segment) {
        pg.awaitArchived(segment, Duration.ofSeconds(180));
    }

    private List<String> segmentsUpTo(String last) throws IOException {
        return pg.walSegmentsUpTo(last);
    }

    /** archive-get every segment into a scratch directory and compare it with what PostgreSQL wrote. */
    private void assertRestoresByteIdentical(List<String> segments) throws IOException {
        Path restore = Files.createDirectories(dir.resolve("restore"));
        for (String seg : segments) {
            Path target = restore.resolve(seg);
            Result r = wf.inProcess("archive-get", seg, target.toString());
            assertThat(r.exitCode()).as(seg + ": " + r.all()).isZero();
            assertThat(Files.mismatch(target, pg.dataDir().resolve("pg_wal").resolve(seg))).as(seg).isEqualTo(-1L);
            Files.delete(target);
        }
    }

    /** Writes in flight finish and take their temporary files with them; abandoned ones would stay forever. */
    private void awaitNoTemporaryObjects() {
        Await.until(Duration.ofSeconds(60), "no temporary objects in the repository", () -> {
            try (Stream<Path> s = Files.walk(wf.repo())) {
                return s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp"));
            }
        });
    }

    private JsonNode info() throws IOException {
        Result r = wf.inProcess("info", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return new ObjectMapper().readTree(r.out()).get(0);
    }

    @Test
    void agentArchivesFiftySegmentsAndEachRestoresByteIdentical() throws Exception {
        startPrimary(1, "  workers: 2\n");
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t as select g, md5(g::text) as h from generate_series(1, 700000) g");
            String last = switchWal();
            awaitArchived(last);
            assertThat(pg.queryLong("select failed_count from pg_stat_archiver")).isZero();
            assertThat(agent.log()).contains("archived " + last);
            agent.stop();
            assertThat(agent.log()).contains("agent stopped");

            List<String> segments = segmentsUpTo(last);
            assertThat(segments).hasSizeGreaterThanOrEqualTo(50);
            assertRestoresByteIdentical(segments);
            JsonNode tl = info().get("timelines").get(0);
            assertThat(tl.get("segments").asLong()).isGreaterThanOrEqualTo(segments.size());
            assertThat(tl.get("gaps")).isEmpty();
            assertThat(tl.get("newest").asText()).isGreaterThanOrEqualTo(last);
        }
    }

    @Test
    void agentKilledMidRunRestartsWithNoGapAndNoPartialObject() throws Exception {
        startPrimary(1, "  workers: 2\n");
        pg.execute("create table t (g int, h text)");
        AgentProcess first = wf.startAgent();
        CompletableFuture<Void> workload = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    pg.execute("insert into t select g, md5(g::text) from generate_series(1, 40000) g");
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until(Duration.ofSeconds(120), "the agent to archive a few segments",
                () -> first.log().split("archived 0", -1).length > 5);
        first.kill9();
        AgentProcess second = wf.startAgent();
        try {
            workload.get();
            String last = switchWal();
            awaitArchived(last);
            Await.until(Duration.ofSeconds(60), "the restarted agent to push", () -> second.log().contains("archived 0"));
            assertThat(second.isAlive()).isTrue();
            awaitNoTemporaryObjects();
            List<String> segments = segmentsUpTo(last);
            assertRestoresByteIdentical(segments);
            JsonNode tl = info().get("timelines").get(0);
            assertThat(tl.get("gaps")).isEmpty();
            assertThat(tl.get("oldest").asText()).isEqualTo(segments.get(0));
        } finally {
            second.close();
        }
    }

    @Test
    void withoutAgentArchivePushWorksOnItsOwnAndCheckPasses() throws Exception {
        startPrimary(0, null);
        Result check = wf.run("check");
        assertThat(check.exitCode()).as(check.all()).isZero();
        assertThat(check.out()).contains("reached every repository").contains("all checks passed");
        assertThat(check.out()).as("the test cluster has neither wal_log_hints nor data checksums")
                .contains("WARN  wal_log_hints = off and data checksums off").contains("hint: ALTER SYSTEM SET wal_log_hints = on");
        Result json = wf.run("check", "--output", "json");
        JsonNode j = new ObjectMapper().readTree(json.out());
        assertThat(j.get("ok").asBoolean()).isTrue();
        assertThat(j.get("checks")).hasSizeGreaterThanOrEqualTo(6);
    }

    @Test
    void underAShellsUmaskWhatIsStoredAndSpooledIsOwnerOnlyAndCheckWarnsOfAnOpenRepository() throws Exception {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, null);
        Path repo = wf.dir().resolve("private-repo"); // repo-create makes it
        wf.repositories("  - name: local\n    type: fs\n    path: " + repo + "\n");
        wf.umask("022"); // a shell's or systemd's, for repo-create, the agent, backup and check
        wf.enableArchiving(pg);
        pg.set("wal_log_hints", "on"); // no pg_rewind warning: this test counts the permission warnings
        pg.start();
        Result created = wf.run("repo-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        String seg;
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t as select g, md5(g::text) as h from generate_series(1, 50000) g");
            seg = switchWal();
            awaitArchived(seg);
            assertThat(agent.log()).contains("archived " + seg);
            Result backup = wf.run("backup");
            assertThat(backup.exitCode()).as(backup.all()).isZero();
        }
        Path nodeSpool = wf.dir().resolve("spool/test/primary");
        assertThat(nodeSpool.resolve("agent.lock")).exists();
        for (Path top : List.of(repo, nodeSpool.getParent())) {
            try (Stream<Path> all = Files.walk(top)) {
                for (Path p : all.toList()) {
                    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                            .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
                }
            }
        }
        try (Stream<Path> global = Files.walk(repo.resolve("test/backup"))) {
            assertThat(global.filter(p -> p.toString().contains("/global/"))).as("the backup holds global/").isNotEmpty();
        }
        // archive-get (what makes the agent's catch-up copies in the spool too), under this JVM's umask
        Path restored = dir.resolve(seg);
        Result got = wf.inProcess("archive-get", seg, restored.toString());
        assertThat(got.exitCode()).as(got.all()).isZero();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(restored))).isEqualTo("rw-------");

        Result check = wf.run("check");
        assertThat(check.exitCode()).as(check.all()).isZero();
        assertThat(check.out()).doesNotContain("WARN").contains("all checks passed");
        for (Path open : List.of(repo, repo.resolve("test"))) {
            Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        check = wf.run("check");
        assertThat(check.exitCode()).as("a warning, not a failure: " + check.all()).isZero();
        assertThat(check.out()).contains("WARN  repository local: " + repo.resolve("test") + " is open to other users (rwxr-xr-x)")
                .contains("hint: chmod 700 " + repo).contains("all checks passed (1 warning)");
        JsonNode json = new ObjectMapper().readTree(wf.run("check", "--output", "json").out());
        assertThat(json.get("ok").asBoolean()).isTrue();
        assertThat(json.get("checks")).anyMatch(c -> c.get("warning").asBoolean() && c.get("check").asText().equals("repository local permissions"));
    }

    @Test
    void checkNamesEachMisconfigurationWithAHint() throws Exception {
        pg = PgCluster.init(dir, "primary");
        wf = new WalferryFixture(dir.resolve("wf"), pg, null);
        pg.set("max_wal_senders", "0");
        pg.start();
        Result r = wf.run("check");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL  archive_mode = off").contains("ALTER SYSTEM SET archive_mode = on")
                .contains("FAIL  max_wal_senders = 0").contains("not registered").contains("run walferry repo-create")
                .contains("some checks failed").doesNotContain("round trip");
    }

    @Test
    void duplicatePushIdenticalSucceedsDifferentIsRefusedAndStoredCopyKept() throws Exception {
        startPrimary(0, null);
        pg.execute("create table t as select g from generate_series(1, 10000) g");
        String seg = switchWal();
        awaitArchived(seg);
        Path original = pg.dataDir().resolve("pg_wal").resolve(seg);
        Path copyDir = Files.createDirectories(dir.resolve("copies"));
        Path copy = copyDir.resolve(seg);
        Files.copy(original, copy);
        ServerUser.chown(copyDir);

        Result same = wf.run("archive-push", copy.toString());
        assertThat(same.exitCode()).as(same.all()).isZero();

        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.seek(4 << 20);
            int b = f.read();
            f.seek(4 << 20);
            f.write(b ^ 0xFF);
        }
        Result different = wf.run("archive-push", copy.toString());
        assertThat(different.exitCode()).isEqualTo(5);
        assertThat(different.err()).contains("already in repository local with different content")
                .containsPattern("stored: \\d+ bytes, xxh64:[0-9a-f]{16}; new: \\d+ bytes, xxh64:[0-9a-f]{16}")
                .doesNotContain("Exception").hasLineCount(1);
        assertRestoresByteIdentical(List.of(seg));
    }

    @Test
    void walOfAnotherClusterIsRefused() throws Exception {
        startPrimary(0, null);
        try (PgCluster other = PgCluster.init(dir, "other")) {
            Path foreign = other.dataDir().resolve("pg_wal").resolve("000000010000000000000001");
            Result r = wf.run("archive-push", foreign.toString());
            assertThat(r.exitCode()).isEqualTo(5);
            assertThat(r.err()).contains("000000010000000000000001 is refused").contains("WAL of another cluster").hasLineCount(1);
            Result get = wf.inProcess("archive-get", "000000010000000000000001", dir.resolve("x").toString());
            assertThat(get.exitCode()).as("nothing of the other cluster was stored").isEqualTo(1);
        }
    }

    @Test
    void corruptOrTruncatedObjectFailsArchiveGetWithoutCreatingTarget() throws Exception {
        startPrimary(0, null);
        pg.execute("create table t as select g, md5(g::text) from generate_series(1, 50000) g");
        String seg = switchWal();
        awaitArchived(seg);
        Path object = Files.walk(wf.repo()).filter(p -> p.getFileName().toString().equals(seg)).findFirst().orElseThrow();
        byte[] good = Files.readAllBytes(object);
        Path work = Files.createDirectories(dir.resolve("work"));
        ServerUser.chown(work);
        Path target = work.resolve("RECOVERYXLOG");

        Result missing = wf.run(work, "archive-get", "0000000100000000000000FF", target.toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).isEmpty();

        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x01;
        Files.write(object, flipped);
        Result corrupt = wf.run(work, "archive-get", seg, target.toString());
        assertThat(corrupt.exitCode()).isEqualTo(3);
        assertThat(corrupt.err()).contains("object test/wal/").contains("altered").hasLineCount(1);
        assertThat(target).doesNotExist();
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.toList()).as("no temporary file left").isEmpty();
        }

        Files.write(object, java.util.Arrays.copyOf(good, good.length / 2));
        Result truncated = wf.run(work, "archive-get", seg, target.toString());
        assertThat(truncated.exitCode()).isEqualTo(3);
        assertThat(truncated.err()).contains("truncated");
        assertThat(target).doesNotExist();

        // During archive recovery a damaged file must stop replay; a standby asks again later.
        Files.writeString(work.resolve("recovery.signal"), "");
        assertThat(wf.run(work, "archive-get", seg, target.toString()).exitCode()).isEqualTo(126);
        Files.delete(work.resolve("recovery.signal"));
        Files.writeString(work.resolve("standby.signal"), "");
        assertThat(wf.run(work, "archive-get", seg, target.toString()).exitCode()).isEqualTo(1);
        assertThat(target).doesNotExist();

        Files.write(object, good);
        Result repaired = wf.run(work, "archive-get", seg, target.toString());
        assertThat(repaired.exitCode()).as(repaired.all()).isZero();
        assertThat(Files.mismatch(target, pg.dataDir().resolve("pg_wal").resolve(seg))).isEqualTo(-1L);
    }

    @Test
    void archiveGetIntoADirectoryItCannotWriteNamesTheReasonWithTheDocumentedExitCodes() throws Exception {
        startPrimary(0, null);
        pg.execute("create table t as select g from generate_series(1, 1000) g");
        String seg = switchWal();
        awaitArchived(seg);
        Path work = Files.createDirectories(dir.resolve("work"));
        ServerUser.chown(work);
        // root's, mode 0755: the server's OS user, which archive-get runs as, cannot write into it
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Path target = locked.resolve("RECOVERYXLOG");

        Result byHand = wf.run(work, "archive-get", seg, target.toString());
        assertThat(byHand.exitCode()).as(byHand.all()).isEqualTo(3);
        assertThat(byHand.err()).startsWith("walferry: cannot write " + target + ": permission denied").hasLineCount(1);
        assertThat(target).doesNotExist();

        Files.writeString(work.resolve("standby.signal"), "");
        Result standby = wf.run(work, "archive-get", seg, target.toString());
        assertThat(standby.exitCode()).as(standby.all()).isEqualTo(1);
        assertThat(standby.err()).contains("permission denied");
        Files.delete(work.resolve("standby.signal"));
        Files.writeString(work.resolve("recovery.signal"), "");
        Result recovery = wf.run(work, "archive-get", seg, target.toString());
        assertThat(recovery.exitCode()).as(recovery.all()).isEqualTo(126);
        assertThat(recovery.err()).contains("permission denied");
        assertThat(target).doesNotExist();
    }

    @Test
    void agentRetriesWhileRepositoryIsUnavailableAndReportsThroughArchiveCommand() throws Exception {
        startPrimary(1, null);
        try (AgentProcess agent = wf.startAgent()) {
            String first = switchWal();
            awaitArchived(first);
            Path walDir = wf.repo().resolve("test/wal");
            Path moved = wf.repo().resolve("test/wal-away");
            // The repository's WAL directory becomes unwritable, as a lost mount or a full disk would make it.
            Files.move(walDir, moved);
            Files.writeString(walDir, "not a directory");
            pg.execute("create table t as select g from generate_series(1, 20000) g");
            String blocked = switchWal();
            Await.until(Duration.ofSeconds(60), "archive_command to fail", () ->
                    pg.queryLong("select failed_count from pg_stat_archiver") > 0);
            assertThat(agent.log()).contains("push of").contains("failed");
            Await.until(Duration.ofSeconds(30), "the agent's error in PostgreSQL's log", () ->
                    pg.logTail(400).contains("the agent failed to archive it and retries"));

            Files.delete(walDir);
            Files.move(moved, walDir);
            awaitArchived(blocked);
            assertThat(agent.isAlive()).isTrue();
            JsonNode tl = info().get("timelines").get(0);
            assertThat(tl.get("gaps")).isEmpty();
            assertRestoresByteIdentical(segmentsUpTo(blocked));
        }
    }

    @Test
    void backupHistoryAndPartialSegmentsRoundTrip() throws Exception {
        startPrimary(0, null);
        try (PgCluster copy = PgCluster.baseBackup(pg, dir, "copy", true)) {
            String backupFile;
            try (Stream<Path> s = Files.list(pg.dataDir().resolve("pg_wal"))) {
                backupFile = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".backup")).findFirst().orElseThrow();
            }
            awaitArchived(switchWal());
            Path restored = dir.resolve("restored");
            assertThat(wf.inProcess("archive-get", backupFile, restored.toString()).exitCode()).isZero();
            assertThat(Files.mismatch(restored, pg.dataDir().resolve("pg_wal").resolve(backupFile))).isEqualTo(-1L);
        }
        // A promoted standby archives the old timeline's last segment as <segment>.partial.
        String seg = switchWal();
        awaitArchived(seg);
        Path partialDir = Files.createDirectories(dir.resolve("partial"));
        Path partial = partialDir.resolve(seg + ".partial");
        Files.copy(pg.dataDir().resolve("pg_wal").resolve(seg), partial);
        ServerUser.chown(partialDir);
        Result push = wf.run("archive-push", partial.toString());
        assertThat(push.exitCode()).as(push.all()).isZero();
        Path back = dir.resolve("partial-back");
        assertThat(wf.inProcess("archive-get", seg + ".partial", back.toString()).exitCode()).isZero();
        assertThat(Files.mismatch(back, partial)).isEqualTo(-1L);
        assertThat(wf.repo().resolve("test/wal/" + seg.substring(0, 16) + "/" + seg + ".partial")).exists();
    }

    @Test
    void anUnmountedRepositoryIsNeverReadAsNotFound() throws Exception {
        startPrimary(0, null);
        String seg = switchWal();
        awaitArchived(seg);
        Path work = Files.createDirectories(dir.resolve("recovering"));
        ServerUser.chown(work);
        Path target = work.resolve("RECOVERYXLOG");
        // An unmounted share: the mount point is there, empty.
        Path away = dir.resolve("repo-contents");
        Files.move(wf.repo().resolve("test"), away);

        Result plain = wf.run(work, "archive-get", seg, target.toString());
        assertThat(plain.exitCode()).isEqualTo(3);
        assertThat(plain.err()).contains("holds no registration for this cluster").contains("is it mounted?");
        Files.writeString(work.resolve("recovery.signal"), "");
        assertThat(wf.run(work, "archive-get", seg, target.toString()).exitCode()).as("archive recovery stops").isEqualTo(126);
        Result badConfig = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "-c",
                dir.resolve("missing.yaml").toString(), "archive-get", seg, target.toString())), work, Duration.ofMinutes(1));
        assertThat(badConfig.exitCode()).as("a configuration error in archive recovery stops it too").isEqualTo(126);
        Files.delete(work.resolve("recovery.signal"));
        Files.writeString(work.resolve("standby.signal"), "");
        assertThat(wf.run(work, "archive-get", seg, target.toString()).exitCode()).as("a standby asks again").isEqualTo(1);
        assertThat(target).doesNotExist();

        Files.move(away, wf.repo().resolve("test"));
        assertThat(wf.run(work, "archive-get", seg, target.toString()).exitCode()).isZero();
        assertThat(Files.mismatch(target, pg.dataDir().resolve("pg_wal").resolve(seg))).isEqualTo(-1L);
    }

    @Test
    void everyRequiredRepositoryHoldsEachSegmentAndArchiveGetFallsBackPastACorruptCopy() throws Exception {
        pg = PgCluster.init(dir, "primary");
        wf = new WalferryFixture(dir.resolve("wf"), pg, null);
        Path second = wf.addRepository("second", true);
        wf.enableArchiving(pg);
        pg.start();
        Result created = wf.run("repo-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        assertThat(created.out()).contains("local (").contains("second (");
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t as select g, md5(g::text) from generate_series(1, 50000) g");
            String seg = switchWal();
            awaitArchived(seg);
            String key = "test/wal/" + seg.substring(0, 16) + "/" + seg;
            assertThat(wf.repo().resolve(key)).exists();
            assertThat(second.resolve(key)).exists();
            Result check = wf.run("check");
            assertThat(check.out()).contains("local (fs").contains("second (fs").contains("reached every repository");

            Result info = wf.inProcess("info", "--output", "json");
            JsonNode repos = new ObjectMapper().readTree(info.out());
            assertThat(repos).hasSize(2);
            assertThat(repos.get(1).get("timelines").get(0).get("newest").asText()).isGreaterThanOrEqualTo(seg);

            // The first repository's copy is damaged: the second one's is handed over, with a warning.
            byte[] good = Files.readAllBytes(wf.repo().resolve(key));
            byte[] bad = good.clone();
            bad[bad.length / 3] ^= 0x10;
            Files.write(wf.repo().resolve(key), bad);
            Path work = Files.createDirectories(dir.resolve("fallback"));
            ServerUser.chown(work);
            Result get = wf.run(work, "archive-get", seg, work.resolve("RECOVERYXLOG").toString());
            assertThat(get.exitCode()).as(get.all()).isZero();
            assertThat(get.err()).contains("altered").contains("used the copy in repository second");
            assertThat(Files.mismatch(work.resolve("RECOVERYXLOG"), pg.dataDir().resolve("pg_wal").resolve(seg))).isEqualTo(-1L);

            // Both damaged: nothing is handed over.
            Files.write(second.resolve(key), bad);
            Files.delete(work.resolve("RECOVERYXLOG"));
            assertThat(wf.run(work, "archive-get", seg, work.resolve("RECOVERYXLOG").toString()).exitCode()).isEqualTo(3);
            assertThat(work.resolve("RECOVERYXLOG")).doesNotExist();
        }
    }

    @Test
    void anOptionalRepositoryThatWasDownIsCaughtUpAndNothingIsWrittenIntoItsMountPoint() throws Exception {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, null);
        Path second = wf.addRepository("second", false);
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "1GB");
        pg.start();
        assertThat(wf.run("repo-create").exitCode()).isZero();
        // The optional repository's share is unmounted: its mount point is an empty directory.
        Path away = dir.resolve("second-unmounted");
        Files.move(second.resolve("test"), away);
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t as select g, md5(g::text) from generate_series(1, 40000) g");
            String seg = switchWal();
            awaitArchived(seg);
            assertThat(pg.queryLong("select failed_count from pg_stat_archiver")).as("archiving is not held up").isZero();
            assertThat(agent.log()).contains("will catch up");
            try (Stream<Path> s = Files.list(second)) {
                assertThat(s.toList()).as("nothing written onto the disk under the mount point").isEmpty();
            }

            Files.move(away, second.resolve("test"));
            String key = "test/wal/" + seg.substring(0, 16) + "/" + seg;
            Await.until(Duration.ofSeconds(90), "the agent to catch the optional repository up", () -> Files.exists(second.resolve(key)));
            assertThat(agent.log()).contains("caught up repository second with");
            // every file it missed, not only the newest one, in whatever order the agent takes them
            Await.until(Duration.ofSeconds(90), "the optional repository to hold what the required one holds", () -> {
                JsonNode r = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out());
                return r.get(1).get("timelines").get(0).get("segments").equals(r.get(0).get("timelines").get(0).get("segments"));
            });
            Result info = wf.inProcess("info", "--output", "json");
            JsonNode repos = new ObjectMapper().readTree(info.out());
            JsonNode required = repos.get(0).get("timelines").get(0);
            JsonNode caughtUp = repos.get(1).get("timelines").get(0);
            assertThat(caughtUp.get("gaps")).isEmpty();
            assertThat(caughtUp.get("oldest")).as("everything the required repository holds").isEqualTo(required.get("oldest"));
            assertThat(caughtUp.get("segments")).isEqualTo(required.get("segments"));

            // Its copies are real: with the first repository's copy gone, archive-get serves the second's.
            Files.delete(wf.repo().resolve(key));
            Path restored = dir.resolve("from-second");
            assertThat(wf.inProcess("archive-get", seg, restored.toString()).exitCode()).isZero();
            assertThat(Files.mismatch(restored, pg.dataDir().resolve("pg_wal").resolve(seg))).isEqualTo(-1L);
        }
    }
}
