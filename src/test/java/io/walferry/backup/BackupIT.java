package io.walferry.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.postgres.BackupSession;
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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** walferry backup and restore against a real PostgreSQL 15: identical data, PITR, damage, a standby's backup. */
@ExtendWith(PgLogOnFailure.class)
class BackupIT {
    private Path dir;
    private PgCluster pg;
    private PgCluster restored;
    private PgCluster standby;
    private PgCluster other;
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-backup-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{restored, standby, other, pg}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private AgentProcess startPrimary() {
        return startPrimary(c -> { });
    }

    private AgentProcess startPrimary(Consumer<PgCluster> beforeStart) {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, "  workers: 2\n");
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "512MB");
        beforeStart.accept(pg);
        pg.start();
        Result r = wf.run("repo-create");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return wf.startAgent();
    }

    /** Every user table's rows, as one md5 per table: what "identical data" is compared on. */
    private static Map<String, String> tableDigests(PgCluster c) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        String tables = c.queryString("select string_agg(quote_ident(relname), ',' order by relname) from pg_stat_user_tables");
        for (String t : tables.split(",")) {
            out.put(t, c.queryString("select count(*) || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') from " + t + " x"));
        }
        return out;
    }

    private String backup(String... extra) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("backup", "--output", "json"));
        args.addAll(List.of(extra));
        Result r = wf.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.all()).isZero();
        return new ObjectMapper().readTree(r.out()).get("backup").asText();
    }

    /** Restores into a new cluster directory and returns the (stopped) cluster. */
    private PgCluster restore(String name, String... extra) {
        PgCluster c = PgCluster.existing(dir, name);
        List<String> args = new java.util.ArrayList<>(List.of("restore", "--target-dir", c.dataDir().toString()));
        args.addAll(List.of(extra));
        Result r = wf.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("restored backup");
        c.usePort();
        c.set("archive_mode", "off");
        return c;
    }

    private static void awaitPromoted(PgCluster c) {
        Await.until(Duration.ofSeconds(120), c.name() + " to finish recovery", () -> {
            try {
                return c.queryString("select pg_is_in_recovery()").equals("f");
            } catch (SQLException e) {
                return false;
            }
        });
    }

    /** Starts a restored cluster, waits until recovery ends, and lists the ids in its table events. */
    private static String eventsOnceRecovered(PgCluster c) throws SQLException {
        c.start();
        awaitPromoted(c);
        return c.queryString("select string_agg(id::text, ',' order by id) from events");
    }

    @Test
    void backupThenRestoreGivesIdenticalDataAndFollowsTablespaces() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            Path tsDir = Files.createDirectories(dir.resolve("ts1"));
            ServerUser.chown(tsDir);
            pg.execute("create tablespace ts1 location '" + tsDir + "'");
            pg.execute("create table accounts as select g as id, md5(g::text) as h, g * 1.5 as amount from generate_series(1, 200000) g");
            pg.execute("create index on accounts (h)");
            pg.execute("create table in_ts tablespace ts1 as select g, repeat('x', g % 50) as pad from generate_series(1, 50000) g");
            pg.execute("create table empty_one (x int)");
            Map<String, String> before = tableDigests(pg);
            // 1 MiB pieces: the larger relations are split, and their pieces restored in parallel, out of order
            String id = backup("--chunk-size", "1");
            try (var stored = Files.walk(wf.repo().resolve("test/backup").resolve(id).resolve("data"))) {
                assertThat(stored.filter(p -> p.getFileName().toString().endsWith("@3"))).isNotEmpty();
            }

            JsonNode info = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
            assertThat(info.get("backups")).hasSize(1);
            assertThat(info.get("backups").get(0).get("id").asText()).isEqualTo(id);
            assertThat(info.get("backups").get(0).get("earliest_recovery_time").asText()).isNotEmpty();

            String oid = pg.queryString("select oid from pg_tablespace where spcname = 'ts1'");
            Path newTs = Files.createDirectories(dir.resolve("ts1-restored"));
            ServerUser.chown(newTs);
            restored = restore("restored", "--tablespace", oid + "=" + newTs);
            assertThat(restored.dataDir().resolve("global/pg_control")).exists();
            assertThat(restored.dataDir().resolve("recovery.signal")).exists();
            assertThat(Files.readString(restored.dataDir().resolve("postgresql.auto.conf"))).contains("restore_command = ")
                    .contains("archive-get %f");
            restored.start();
            awaitPromoted(restored);
            assertThat(tableDigests(restored)).isEqualTo(before);
            // archive recovery's first call (the history file) started the prefetcher, through the launcher
            assertThat(Files.readString(io.walferry.fastpath.PrefetchQueue.directoryOf(restored.dataDir()).resolve("prefetch.log")))
                    .contains("prefetch: started for the first call of a restored data directory");
            assertThat(restored.queryString("select pg_tablespace_location(oid) from pg_tablespace where spcname = 'ts1'"))
                    .isEqualTo(newTs.toString());
            assertThat(restored.queryLong("select count(*) from accounts where h = md5('777')")).isEqualTo(1);
        }
    }

    @Test
    void pointInTimeRecoveryKeepsTheFirstCommitAndNotTheSecond() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table events (id int, note text)");
            backup();
            pg.execute("insert into events values (1, 'before the target')");
            String target = pg.queryString("select clock_timestamp()::text");
            pg.execute("insert into events values (2, 'after the target')");
            String last = pg.switchWal();
            pg.awaitArchived(last, Duration.ofSeconds(120));

            restored = restore("pitr", "--target-time", target, "--target-action", "promote");
            assertThat(eventsOnceRecovered(restored)).isEqualTo("1");
        }
    }

    @Test
    void recoveryStopsAtARestorePointWhoseNameHasAQuoteAndABackslash() throws Exception {
        String point = "it's a\\back\\slash";
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table events (id int)");
            backup();
            pg.execute("insert into events values (1)");
            pg.execute("select pg_create_restore_point('" + point.replace("'", "''") + "')");
            pg.execute("insert into events values (2)");
            pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120));

            // PostgreSQL's configuration parser reads backslash escapes in quoted values: unescaped, the name
            // reaches the server altered and recovery ends before its target, refusing to start
            restored = restore("named", "--target-name", point);
            assertThat(eventsOnceRecovered(restored)).isEqualTo("1");
            assertThat(restored.queryString("show recovery_target_name")).isEqualTo(point);
        }
    }

    @Test
    void aTargetTimeBetweenTwoBackupsRestoresTheOlderOne() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table events (id int)");
            String beforeAny = pg.queryString("select clock_timestamp()::text");
            String first = backup();
            pg.execute("insert into events values (1)");
            String target = pg.queryString("select clock_timestamp()::text");
            pg.execute("insert into events values (2)");
            backup();
            pg.execute("insert into events values (3)");
            pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120));

            PgCluster early = PgCluster.existing(dir, "too-early");
            Result refused = wf.run("restore", "--target-dir", early.dataDir().toString(), "--target-time", beforeAny);
            assertThat(refused.exitCode()).as(refused.all()).isEqualTo(2);
            assertThat(refused.err().strip()).contains("the earliest point a restore can reach is").contains(first).doesNotContain("\n");
            early.close();

            restored = restore("between", "--target-time", target);
            assertThat(Files.readString(restored.dataDir().resolve("backup_label"))).contains("LABEL: walferry " + first + "\n");
            assertThat(eventsOnceRecovered(restored)).isEqualTo("1");
        }
    }

    @Test
    void aTargetOutsideWhatTheBackupAndTheArchiveReachIsRefusedWithTheRangeUnlessForced() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table events (id int)");
            String id = backup();
            pg.execute("insert into events values (1)");
            String last = pg.switchWal();
            pg.awaitArchived(last, Duration.ofSeconds(120));
            JsonNode b = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0).get("backups").get(0);
            String stopLsn = b.get("stop_lsn").asText();
            String stopTime = b.get("stop_time").asText();
            // 1 MiB segments: 4096 to a log file
            long segmentNumber = Long.parseLong(last.substring(8, 16), 16) * 4096 + Long.parseLong(last.substring(16), 16);
            String archiveEnd = new io.walferry.postgres.Lsn((segmentNumber + 1) << 20).toString();
            restored = PgCluster.existing(dir, "refused");
            Path into = restored.dataDir();

            Map<List<String>, List<String>> refusals = new LinkedHashMap<>();
            refusals.put(List.of("--backup", id, "--target-lsn", "0/100"), List.of("before the end of backup " + id, stopLsn, archiveEnd));
            refusals.put(List.of("--backup", id, "--target-time", "2000-01-01 00:00:00+00"), List.of("before the end of backup " + id, stopTime));
            refusals.put(List.of("--target-lsn", "FF/0"), List.of("after the newest WAL in repository local", stopLsn, archiveEnd, "--force"));
            refusals.put(List.of("--target-time", "2100-01-01 00:00:00+00"), List.of("after the newest WAL in repository local", stopTime,
                    "--force"));
            for (var r : refusals.entrySet()) {
                List<String> args = new java.util.ArrayList<>(List.of("restore", "--target-dir", into.toString()));
                args.addAll(r.getKey());
                Result refused = wf.run(args.toArray(String[]::new));
                assertThat(refused.exitCode()).as(r.getKey() + ": " + refused.all()).isEqualTo(2);
                assertThat(refused.err()).as(r.getKey().toString()).contains(r.getValue()).hasLineCount(1);
                assertThat(into).as("nothing restored").doesNotExist();
            }

            // --force restores all the same: recovery then ends where the archive does, or waits for more
            Result forced = wf.run("restore", "--target-dir", into.toString(), "--target-lsn", "FF/0", "--force");
            assertThat(forced.exitCode()).as(forced.all()).isZero();
            assertThat(Files.readString(into.resolve("postgresql.auto.conf"))).contains("recovery_target_lsn = 'FF/0'");
        }
    }

    @Test
    void repoCreateAndBackupWithoutNodeActOnThePrimaryOfSeveralNodes() throws Exception {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, "  workers: 2\n");
        wf.enableArchiving(pg);
        pg.start();
        // listed first, and not running: neither "the first node" nor "the only one" would find the primary
        other = PgCluster.existing(dir, "replica");
        wf.writeConfig(List.of(other, pg), "  workers: 2\n");

        Result created = wf.run("repo-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        assertThat(created.out()).contains("registered cluster test");
        try (AgentProcess agent = wf.startAgent("primary")) {
            pg.execute("create table t as select g from generate_series(1, 1000) g");
            backup();
            JsonNode info = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
            assertThat(info.get("backups").get(0).get("node").asText()).isEqualTo("primary");
            assertThat(info.get("backups").get(0).get("from_standby").asBoolean()).isFalse();

            // --node still chooses
            Result named = wf.run("backup", "--node", "replica");
            assertThat(named.exitCode()).as(named.all()).isEqualTo(4);
            assertThat(named.err()).contains("node replica").hasLineCount(1);
        }
    }

    @Test
    void theBackupsStaleRecoverySettingsAreReplacedByTheRestoresOwn() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table events (id int)");
            // what the postgresql.auto.conf of a server restored to a target, or of a replica, carries into its backups
            Files.writeString(pg.dataDir().resolve("postgresql.auto.conf"), """
                    restore_command = 'false'
                    recovery_target_xid = '4000000'
                    recovery_target_action = 'shutdown'
                    primary_conninfo = 'host=127.0.0.1 port=1 user=nobody'
                    primary_slot_name = 'stale_slot'
                    # added by walferry restore of backup 20200101T000000Z
                    recovery_target_timeline = 'current'
                    port = 1
                    """, StandardOpenOption.APPEND);
            backup();
            pg.execute("insert into events values (1)");
            String target = pg.queryString("select clock_timestamp()::text");
            pg.execute("insert into events values (2)");
            pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120));

            restored = restore("stale-settings", "--target-time", target);
            assertThat(eventsOnceRecovered(restored)).isEqualTo("1");
            assertThat(restored.queryString("select string_agg(name || '=' || setting, ' ' order by name) from pg_settings "
                    + "where name in ('primary_conninfo', 'primary_slot_name', 'recovery_target_xid', 'recovery_target_action', "
                    + "'recovery_target_timeline')"))
                    .isEqualTo("primary_conninfo= primary_slot_name= recovery_target_action=promote recovery_target_timeline=latest "
                            + "recovery_target_xid=");
            assertThat(restored.queryString("show restore_command")).contains("archive-get %f");
            assertThat(Files.readString(restored.dataDir().resolve("postgresql.auto.conf")).split("# added by walferry", -1))
                    .as("one walferry block").hasSize(2);
        }
    }

    /** A process's arguments, NUL-separated as /proc has them; "" once it is gone. */
    private static String commandLine(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline"));
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void restoreTakesTheBackupFromTheFirstRepositoryThatHoldsOneOrFromTheNamedOne() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            backup();
            // a repository added later, listed first, holds no backup yet: an account's own bucket, say
            Path empty = Files.createDirectories(dir.resolve("repo-empty"));
            ServerUser.chown(empty);
            wf.repositories("  - name: empty\n    type: fs\n    path: " + empty + "\n    required: false\n"
                    + "  - name: local\n    type: fs\n    path: " + wf.repo() + "\n");

            Result named = wf.run("restore", "--target-dir", dir.resolve("from-empty").toString(), "--repository", "empty");
            assertThat(named.exitCode()).as(named.all()).isEqualTo(2);
            assertThat(named.err()).contains("repository empty holds no complete backup");
            Result unknown = wf.run("restore", "--target-dir", dir.resolve("from-unknown").toString(), "--repository", "nosuch");
            assertThat(unknown.exitCode()).as(unknown.all()).isEqualTo(2);
            assertThat(unknown.err()).contains("no repository named nosuch");

            restored = PgCluster.existing(dir, "from-first-holding");
            Result r = wf.run("restore", "--target-dir", restored.dataDir().toString(), "--output", "json");
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(r.out()).contains("\"repository\" : \"local\"");
        }
    }

    @Test
    void restoreForceEmptiesThePrefetchQueueOfTheServerThatWasThereAndStopsItsPrefetcher() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            backup();
            restored = PgCluster.existing(dir, "reused");
            Path data = Files.createDirectories(restored.dataDir());
            Files.writeString(data.resolve("PG_VERSION"), "15\n"); // what the previous server left
            ServerUser.chown(data);
            Path queue = Files.createDirectories(io.walferry.fastpath.PrefetchQueue.directoryOf(data));
            List<String> stale = List.of("000000010000000000000042", ".from", ".taken", ".missing", ".ask", ".answer");
            for (String f : stale) {
                Files.writeString(queue.resolve(f), "of the previous server\n");
            }
            Files.writeString(queue.resolve(".lock"), "");
            ServerUser.chown(data);
            Process prefetcher = new ProcessBuilder(ServerUser.wrap(List.of("sh", "-c", "read x", "archive-prefetch", "--data-directory",
                    data.toString()))).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            try {
                long[] pid = new long[1];
                Await.until(Duration.ofSeconds(30), "the stand-in prefetcher to run", () -> {
                    Optional<ProcessHandle> sh = Stream.concat(Stream.of(prefetcher.toHandle()), prefetcher.toHandle().descendants())
                            .filter(h -> commandLine(h.pid()).startsWith("sh\0-c\0read x\0archive-prefetch"))
                            .findFirst();
                    sh.ifPresent(h -> pid[0] = h.pid());
                    return sh.isPresent();
                });
                Files.writeString(queue.resolve(".pid"), pid[0] + "\n");
                ServerUser.chown(queue.resolve(".pid"));

                Result r = wf.run("restore", "--target-dir", data.toString(), "--force");
                assertThat(r.exitCode()).as(r.all()).isZero();
                assertThat(ProcessHandle.of(pid[0]).map(ProcessHandle::isAlive)).as("the previous server's prefetcher").isNotEqualTo(Optional.of(true));
                assertThat(queue).as("the previous server's prefetch queue").doesNotExist();
            } finally {
                prefetcher.destroyForcibly();
            }
        }
    }

    @Test
    void timeoutsSetForTheRoleCannotEndTheBackupSession() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            for (String t : List.of("statement_timeout", "idle_session_timeout", "idle_in_transaction_session_timeout")) {
                pg.execute("alter role postgres set " + t + " = '1s'");
            }
            try (Connection c = pg.connect()) {
                BackupSession session = BackupSession.start(c, "timeouts");
                long pid;
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pg_backend_pid(), current_setting('statement_timeout'), "
                        + "current_setting('idle_session_timeout'), current_setting('idle_in_transaction_session_timeout')")) {
                    r.next();
                    pid = r.getLong(1);
                    assertThat(List.of(r.getString(2), r.getString(3), r.getString(4))).containsExactly("0", "0", "0");
                }
                // idle (as while files are copied) for longer than the role allows, or ended
                Await.until(Duration.ofSeconds(60), "the backup session to stay idle past the role's timeouts", () -> pg.queryString(
                        "select coalesce((select now() - state_change > interval '2 s' from pg_stat_activity where pid = " + pid + "), true)")
                        .equals("t"));
                assertThat(session.stop(false).backupLabel()).contains("LABEL: timeouts");
            }
            backup(); // and walferry's backup, under the same settings
        }
    }

    @Test
    void aSymlinkedPgWalIsRestoredAsADirectory() throws Exception {
        // what initdb --waldir makes: pg_wal a link to a directory elsewhere
        Path wal = dir.resolve("primary-wal");
        try (AgentProcess agent = startPrimary(c -> {
            try {
                Files.move(c.dataDir().resolve("pg_wal"), wal);
                Files.createSymbolicLink(c.dataDir().resolve("pg_wal"), wal);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        })) {
            pg.execute("create table t as select g from generate_series(1, 1000) g");
            backup();
            restored = restore("from-linked-wal");
            assertThat(restored.dataDir().resolve("pg_wal")).isDirectory();
            restored.start();
            awaitPromoted(restored);
            assertThat(restored.queryLong("select count(*) from t")).isEqualTo(1000);
        }
    }

    @Test
    void aBackupOfAnotherClusterIsRefusedBeforeItStarts() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            other = PgCluster.init(dir, "other", 1);
            other.start();
            wf.writeConfig(List.of(pg, other), "  workers: 2\n");
            String registered = pg.queryString("select system_identifier from pg_control_system()");
            String theOther = other.queryString("select system_identifier from pg_control_system()");

            Result r = wf.run("backup", "--node", "other");
            assertThat(r.exitCode()).as(r.all()).isEqualTo(5);
            assertThat(r.err().strip()).contains("node other is not cluster test").contains(theOther).contains(registered)
                    .contains("hint:").doesNotContain("\n").doesNotContain("Exception");
            assertThat(wf.repo().resolve("test/backup")).as("nothing of the other cluster stored").doesNotExist();
        }
    }

    @Test
    void anUnreadableFileOrDirectoryInTheDataDirectoryIsOneLineWithTheFix() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            // not the server's OS user's to read (it is root's when the tests run as root, and mode 000 either way)
            Path file = Files.writeString(pg.dataDir().resolve("unreadable-file"), "x");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
            Result r = wf.run("backup");
            assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
            assertThat(r.err().strip()).contains("cannot read " + file + " of the data directory: permission denied")
                    .contains("hint: run walferry backup as the data directory's owner").doesNotContain("\n").doesNotContain("Exception");
            Files.delete(file);

            Path directory = Files.createDirectory(pg.dataDir().resolve("unreadable-directory"));
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("---------"));
            Result scan = wf.run("backup");
            assertThat(scan.exitCode()).as(scan.all()).isEqualTo(1);
            assertThat(scan.err().strip()).contains("cannot read " + directory + " of the data directory: permission denied")
                    .contains("hint:").doesNotContain("\n").doesNotContain("Exception");
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------")); // for the clean-up
        }
    }

    @Test
    void aCorruptBackupFileStopsTheRestoreBeforePostgresCanStart() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table t as select g, md5(g::text) from generate_series(1, 100000) g");
            String id = backup();
            Path data = wf.repo().resolve("test/backup/" + id + "/data");
            Path largest;
            try (Stream<Path> s = Files.walk(data)) {
                largest = s.filter(Files::isRegularFile).max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            byte[] b = Files.readAllBytes(largest);
            b[b.length / 2] ^= 0x20;
            Files.write(largest, b);

            PgCluster target = PgCluster.existing(dir, "damaged");
            Result r = wf.run("restore", "--target-dir", target.dataDir().toString());
            assertThat(r.exitCode()).as(r.all()).isEqualTo(3);
            assertThat(r.err()).contains("altered").doesNotContain("Exception");
            assertThat(target.dataDir().resolve("global/pg_control")).as("PostgreSQL cannot start there").doesNotExist();

            // not empty now: refused without --force
            Result again = wf.run("restore", "--target-dir", target.dataDir().toString());
            assertThat(again.exitCode()).isEqualTo(5);
            assertThat(again.err()).contains("is not empty").contains("--force");
        }
    }

    @Test
    void expireKeepsEverythingARetainedBackupNeeds() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table t (g int)");
            String first = backup();
            for (int round = 1; round <= 2; round++) {
                pg.execute("insert into t select g from generate_series(1, 20000) g");
                pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120));
                backup();
            }
            JsonNode before = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
            assertThat(before.get("backups")).hasSize(3);
            String second = before.get("backups").get(1).get("id").asText();
            String secondStart = before.get("backups").get(1).get("start_wal").asText();
            assertThat(before.get("timelines").get(0).get("oldest").asText()).isLessThan(secondStart);

            Result dry = wf.run("expire", "--keep", "2", "--dry-run");
            assertThat(dry.out()).contains("would expire 1 backups (" + first + ")");
            assertThat(wf.inProcess("info", "--output", "json").out()).contains(first);

            Result r = wf.run("expire", "--keep", "2", "--output", "json");
            assertThat(r.exitCode()).as(r.all()).isZero();
            JsonNode after = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
            assertThat(after.get("backups")).hasSize(2);
            assertThat(after.get("backups").get(0).get("id").asText()).isEqualTo(second);
            assertThat(after.get("timelines").get(0).get("oldest").asText()).as("WAL from the oldest retained backup on")
                    .isEqualTo(secondStart);
            assertThat(after.get("timelines").get(0).get("gaps")).isEmpty();
            try (Stream<Path> s = Files.walk(wf.repo().resolve("test/backup"))) {
                assertThat(s.map(Path::toString).filter(p -> p.contains(first)).toList()).as("nothing of the expired backup left").isEmpty();
            }

            // the oldest retained backup still restores and replays to the end of the archive
            long rows = pg.queryLong("select count(*) from t");
            restored = restore("after-expire", "--backup", second);
            restored.start();
            awaitPromoted(restored);
            assertThat(restored.queryLong("select count(*) from t")).isEqualTo(rows);
        }
    }

    @Test
    void aBackupTakenFromAStandbyRestores() throws Exception {
        try (AgentProcess agent = startPrimary()) {
            pg.execute("create table t as select g, md5(g::text) as h from generate_series(1, 100000) g");
            standby = PgCluster.baseBackup(pg, dir, "standby", true);
            standby.set("primary_conninfo", "host=127.0.0.1 port=" + pg.port() + " user=postgres");
            standby.set("archive_mode", "on");
            standby.touch("standby.signal");
            standby.start();
            wf.writeConfig(List.of(pg, standby), "  workers: 2\n");
            pg.execute("insert into t select g, 'late' from generate_series(100001, 100100) g");
            String lsn = pg.queryString("select pg_current_wal_lsn()::text");
            Await.until(Duration.ofSeconds(60), "the standby to replay " + lsn,
                    () -> standby.queryString("select pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn").equals("t"));
            Map<String, String> before = tableDigests(pg);

            String id = backup("--node", "standby");
            JsonNode info = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
            assertThat(info.get("backups").get(0).get("from_standby").asBoolean()).isTrue();

            restored = restore("from-standby", "--backup", id);
            restored.start();
            awaitPromoted(restored);
            assertThat(tableDigests(restored)).isEqualTo(before);
            // archive recovery's first call (the history file) started the prefetcher, through the launcher
            assertThat(Files.readString(io.walferry.fastpath.PrefetchQueue.directoryOf(restored.dataDir()).resolve("prefetch.log")))
                    .contains("prefetch: started for the first call of a restored data directory");
        }
    }
}
