package io.walferry.backup;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restored copy of the cluster (a PITR look, a test copy) must not write its own timeline into the cluster's
 * repositories: it does not archive unless asked, archive-push refuses a data directory that is no node's, and a
 * history file that does not fit the repository's history is refused. Production's archive-only replica keeps
 * following production.
 */
@ExtendWith(PgLogOnFailure.class)
class RestoredCopyIT {
    private Path dir;
    private final List<PgCluster> clusters = new ArrayList<>();
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-copy-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : clusters) {
            c.close();
        }
        TempDirs.deleteTree(dir);
    }

    private PgCluster track(PgCluster c) {
        clusters.add(c);
        return c;
    }

    private Result run(int expected, String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isEqualTo(expected);
        return r;
    }

    private static long count(PgCluster c) throws SQLException {
        return c.queryLong("select count(*) from orders");
    }

    /** The timelines that have WAL in the repository, as info reports them. */
    private List<Integer> timelinesInRepository() throws Exception {
        JsonNode info = new ObjectMapper().readTree(wf.inProcess("info", "--output", "json").out()).get(0);
        List<Integer> out = new ArrayList<>();
        info.get("timelines").forEach(t -> out.add(t.get("timeline").asInt()));
        return out;
    }

    @Test
    void aRestoredCopyDoesNotArchiveAndProductionsArchiveReplicaKeepsFollowingProduction() throws Exception {
        PgCluster primary = track(PgCluster.init(dir, "us-east-1", 1));
        wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.start();
        PgCluster eu = track(PgCluster.existing(dir, "eu-central-1"));
        wf.writeConfig(List.of(primary, eu), "  workers: 2\n");
        run(0, "repo-create", "--node", "us-east-1");
        try (AgentProcess agent = wf.startAgent("us-east-1")) {
            primary.execute("create table orders (id bigint primary key, note text)");
            primary.execute("insert into orders select g, 'first' from generate_series(1, 5000) g");
            run(0, "backup", "--node", "us-east-1");
            run(0, "replica", "create", "--node", "eu-central-1", "--mode", "archive");

            // a copy for a look at the data: restored, started, promoted to a timeline of its own
            PgCluster copy = track(PgCluster.existing(dir, "copy"));
            Result restored = run(0, "restore", "--target-dir", copy.dataDir().toString());
            assertThat(restored.out()).contains("it does not archive (archive_mode = off)");
            copy.usePort();
            copy.start();
            Await.until(Duration.ofSeconds(120), "the copy to be promoted", () -> "f".equals(copy.queryString("select pg_is_in_recovery()")));
            assertThat(copy.queryString("show archive_mode")).isEqualTo("off");
            copy.execute("insert into orders values (-1, 'only on the copy')");

            // the mistake: archiving turned on by hand in the copy; archive-push refuses its data directory
            copy.execute("alter system set archive_mode = on");
            copy.restart();
            copy.execute("select pg_switch_wal()");
            Await.until(Duration.ofSeconds(60), "the copy's archive_command to fail",
                    () -> copy.queryLong("select failed_count from pg_stat_archiver") > 0);
            assertThat(copy.logTail(200)).contains("is the data directory of no node");
            assertThat(timelinesInRepository()).as("nothing of the copy's timeline in the repository").containsExactly(1);

            // archiving a copy on purpose is refused while production's primary runs
            Result refused = run(5, "restore", "--target-dir", dir.resolve("second-copy").toString(), "--archive", "on");
            assertThat(refused.err()).contains("node us-east-1 is a running primary of cluster test").contains("--archive on");
            assertThat(Files.exists(dir.resolve("second-copy"))).as("nothing restored").isFalse();
            copy.stop();

            // production goes on, and its archive-only replica follows it, not the copy
            primary.execute("insert into orders select g, 'second' from generate_series(5001, 8000) g");
            long rows = count(primary);
            primary.switchWal();
            Await.until(Duration.ofSeconds(120), "eu-central-1 to replay production's rows", () -> count(eu) == rows);
            assertThat(eu.queryLong("select count(*) from orders where id = -1")).isZero();
        }
    }

    @Test
    void aHistoryFileThatDoesNotFitTheRepositorysHistoryIsRefused() throws Exception {
        PgCluster primary = track(PgCluster.init(dir, "us-east-1", 1));
        wf = new WalferryFixture(dir.resolve("wf"), primary, null);
        wf.enableArchiving(primary);
        primary.start();
        run(0, "repo-create");
        primary.awaitArchived(primary.switchWal(), Duration.ofSeconds(60));

        Path files = dir.resolve("files");
        Files.createDirectories(files);
        ServerUser.chown(files);
        Result unknownParent = run(5, "archive-push", history(files, "a", 3, "1\t0/1000000\tpromoted\n2\t0/1800000\tpromoted\n").toString());
        assertThat(unknownParent.err()).contains("00000003.history is refused")
                .contains("branches from timeline 2 at 0/1800000, of which repository local holds nothing");

        run(0, "archive-push", history(files, "b", 2, "1\t0/1000000\tpromoted\n").toString());
        Result otherBranch = run(5, "archive-push", history(files, "c", 2, "1\t0/1400000\tno recovery target specified\n").toString());
        assertThat(otherBranch.err()).contains("timeline 2 already exists in repository local from another branch")
                .contains("timeline 1 until 0/1000000, then timeline 2").contains("timeline 1 until 0/1400000, then timeline 2");
    }

    /** A hand-made history file for {@code tli}, in a directory of its own. */
    private static Path history(Path parent, String dirName, int tli, String text) throws Exception {
        Path d = Files.createDirectories(parent.resolve(dirName));
        Path f = d.resolve("%08X.history".formatted(tli));
        Files.writeString(f, text);
        ServerUser.chown(d);
        ServerUser.chown(f);
        return f;
    }
}
