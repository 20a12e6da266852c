package io.walferry.archive;

import io.walferry.fastpath.PrefetchQueue;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A standby with no WAL of its own and no connection to the primary replays everything through
 * walferry archive-get, then is promoted: its timeline history file goes through archive-push and comes
 * back byte-identical.
 */
@ExtendWith(PgLogOnFailure.class)
class StandbyReplayIT {
    @Test
    void archiveOnlyStandbyReplaysThenPromotionArchivesTheHistoryFile() throws Exception {
        Path dir = TempDirs.create("wf-standby-");
        try (PgCluster primary = PgCluster.init(dir, "primary")) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, null);
            wf.enableArchiving(primary);
            primary.start();
            assertThat(wf.run("repo-create").exitCode()).isZero();
            try (AgentProcess agent = wf.startAgent()) {
                primary.execute("create table t (id int primary key, note text)");
                primary.execute("insert into t select g, md5(g::text) from generate_series(1, 1000) g");

                try (PgCluster standby = PgCluster.baseBackup(primary, dir, "standby", false)) {
                    standby.set("restore_command", wf.restoreCommand());
                    standby.set("archive_mode", "on");
                    standby.set("archive_command", wf.archiveCommand());
                    standby.touch("standby.signal");
                    // a node of the configuration: only those may archive into the cluster's repositories
                    wf.writeConfig(List.of(primary, standby), null);
                    standby.start();

                    primary.execute("insert into t select g, 'after backup' from generate_series(1001, 5000) g");
                    primary.execute("select pg_switch_wal()");
                    Await.until(Duration.ofSeconds(120), "the standby to replay rows written after the backup",
                            () -> standby.queryLong("select count(*) from t") == 5000);
                    assertThat(standby.queryString("select pg_is_in_recovery()")).isEqualTo("t");
                    assertThat(standby.queryLong("select count(*) from pg_stat_wal_receiver")).as("no streaming").isZero();

                    standby.execute("select pg_promote()");
                    Await.until(Duration.ofSeconds(60), "promotion", () -> "f".equals(standby.queryString("select pg_is_in_recovery()")));
                    standby.execute("insert into t values (5001, 'on timeline 2')");
                    String tl2 = standby.queryString("select pg_walfile_name(pg_switch_wal())");
                    assertThat(tl2).startsWith("00000002");
                    Await.until(Duration.ofSeconds(60), tl2 + " archived by the promoted standby (no agent: synchronously)",
                            () -> standby.queryLong("select count(*) from pg_stat_archiver where last_archived_wal >= '" + tl2 + "'") == 1);

                    Path history = standby.dataDir().resolve("pg_wal/00000002.history");
                    Await.until(Duration.ofSeconds(60), "00000002.history to be archived",
                            () -> Files.exists(wf.repo().resolve("test/wal/history/00000002.history")));
                    Path restored = dir.resolve("restored.history");
                    Result get = wf.inProcess("archive-get", "00000002.history", restored.toString());
                    assertThat(get.exitCode()).as(get.all()).isZero();
                    assertThat(Files.mismatch(restored, history)).isEqualTo(-1L);

                    Result info = wf.inProcess("info");
                    assertThat(info.out()).containsPattern("\\n\\s+2\\s+\\d+\\s+0000000200").contains("yes");
                    // both timelines, and the old one's WAL past the switch, follow their history without a gap
                    Result verify = wf.run("verify");
                    assertThat(verify.exitCode()).as(verify.all()).isZero();
                    assertThat(verify.out()).startsWith("verify: all good");
                }
                assertThat(agent.log()).doesNotContain("ERROR");
            }
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void archiveReplayTakesPrefetchedSegmentsWithoutAJvm() throws Exception {
        Path dir = TempDirs.create("wf-prefetch-");
        try (PgCluster primary = PgCluster.init(dir, "primary", 1)) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, "  prefetch: 6\n");
            wf.enableArchiving(primary);
            primary.set("wal_keep_size", "256MB");
            primary.start();
            assertThat(wf.run("repo-create").exitCode()).isZero();
            try (AgentProcess agent = wf.startAgent();
                 PgCluster standby = PgCluster.baseBackup(primary, dir, "standby", false)) {
                primary.execute("create table t as select g, md5(g::text) as h from generate_series(1, 300000) g");
                String last = primary.switchWal();
                primary.awaitArchived(last, Duration.ofSeconds(120));
                long rows = primary.queryLong("select count(*) from t");

                standby.set("restore_command", wf.writtenRestoreCommand());
                standby.touch("standby.signal");
                String firstSegment = io.walferry.postgres.BackupLabel.parse(Files.readString(standby.dataDir().resolve("backup_label")))
                        .orElseThrow().checkpointSegment(1 << 20).fileName(); // the cluster above: 1 MB segments
                standby.start();
                Await.until(Duration.ofSeconds(180), "the standby to replay from the archive",
                        () -> standby.queryString("select count(*) from pg_class where relname = 't'").equals("1")
                                && standby.queryLong("select count(*) from t") == rows);

                Path queue = PrefetchQueue.directoryOf(standby.dataDir());
                Path taken = queue.resolve(".taken");
                assertThat(taken).as("segments handed over by the launcher from the prefetch queue").exists();
                assertThat(Files.readAllLines(taken)).as(Files.readString(queue.resolve("prefetch.log"))).hasSizeGreaterThan(10);
                // started on the history file asked for first, the prefetcher had the first segment ready too
                assertThat(Files.readAllLines(taken).get(0)).as("the first segment, from the backup_label's checkpoint").isEqualTo(firstSegment);
                // and that first call was not a JVM of its own: the launcher started the prefetcher, which answered it
                assertThat(Files.readString(queue.resolve("prefetch.log")))
                        .contains("prefetch: started for the first call of a restored data directory, at " + firstSegment);
                try (var q = Files.list(queue)) {
                    assertThat(q.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).count()).as("bounded queue")
                            .isLessThanOrEqualTo(6);
                }

                // Caught up, the standby asks every few seconds for the next segment and for timeline 2's history
                // file: the launcher asks the prefetcher, which looks and answers "missing", and no JVM starts.
                Path answered = queue.resolve(".answered");
                Await.until(Duration.ofSeconds(60), "the prefetcher to answer the launcher for a segment and a history file",
                        () -> Files.exists(answered) && Files.readString(answered).matches("segments [1-9]\\d* histories [1-9]\\d*\\s*"));
                // Every archive-get JVM on a segment tells the prefetcher where replay is (.from): still where the first
                // call started it, so no JVM answered for a segment, the misses included.
                assertThat(Files.readString(queue.resolve(".from")).strip()).as(".from, as the history call before redo set it")
                        .isEqualTo(firstSegment);
                // PostgreSQL asks anew for the segment it was reading when the next one was missing (a record
                // spanning both): the prefetcher is past it, so the launcher goes to the JVM at once instead of
                // waiting for the prefetcher (it waited its full 60 s: a minute's stall at the archive's edge).
                List<String> handedOver = Files.readAllLines(taken);
                String again = handedOver.get(handedOver.size() - 1);
                long started = System.nanoTime();
                Result asked = wf.run(standby.dataDir(), "archive-get", again, "pg_wal/walferry-test-again");
                assertThat(asked.exitCode()).as(asked.all()).isZero();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no wait for a segment the prefetcher has passed")
                        .isLessThan(Duration.ofSeconds(30));
                assertThat(Files.size(standby.dataDir().resolve("pg_wal/walferry-test-again"))).isEqualTo(1 << 20);
                Files.delete(standby.dataDir().resolve("pg_wal/walferry-test-again"));
                // and the standby still follows what is archived later
                primary.execute("insert into t select g, md5(g::text) from generate_series(300001, 310000) g");
                String later = primary.switchWal();
                primary.awaitArchived(later, Duration.ofSeconds(120));
                Await.until(Duration.ofSeconds(120), "the standby to replay WAL archived while it idled",
                        () -> standby.queryLong("select count(*) from t") == rows + 10000);
            }
        } finally {
            TempDirs.deleteTree(dir);
        }
    }
}
