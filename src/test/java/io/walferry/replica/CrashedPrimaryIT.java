package io.walferry.replica;

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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A primary killed with kill -9 and a replica promoted: the promotion is quick, the old primary's data directory is
 * fenced on disk so that pg_ctl start gives a standby and never a second primary, and walferry replica rejoin makes it
 * a streaming replica of the new primary again: with no rewind when its WAL allows, with pg_rewind when it holds writes
 * the new primary lacks, and from the newest backup when pg_rewind cannot (no wal_log_hints).
 */
@ExtendWith(PgLogOnFailure.class)
class CrashedPrimaryIT {
    private Path dir;
    private PgCluster primary;
    private PgCluster west;
    private WalferryFixture wf;
    private AgentProcess agent;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-crash-");
    }

    @AfterEach
    void tearDown() {
        if (agent != null) {
            agent.close();
        }
        for (PgCluster c : new PgCluster[]{west, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private Result run(int expected, String... args) {
        Result r = wf.run(args);
        if (r.exitCode() != expected && Files.exists(primary.dataDir().resolve("walferry-server.log"))) {
            try {
                // the log of the server walferry started (rejoin), beside the harness's own
                System.err.println("walferry-server.log of us-east-1:\n" + Files.readString(primary.dataDir().resolve("walferry-server.log")));
            } catch (java.io.IOException e) {
                System.err.println("cannot read walferry-server.log: " + e);
            }
        }
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isEqualTo(expected);
        return r;
    }

    private static long count(PgCluster c) throws SQLException {
        return c.queryLong("select count(*) from orders");
    }

    /** A primary (wal_log_hints as given) with the agent and a backup, and a streaming replica us-west-2 that has caught up. */
    private void cluster(boolean walLogHints) throws Exception {
        primary = PgCluster.init(dir, "us-east-1", 1);
        wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.set("wal_keep_size", "256MB");
        primary.set("wal_log_hints", walLogHints ? "on" : "off");
        primary.start();
        west = PgCluster.existing(dir, "us-west-2");
        wf.writeConfig(List.of(primary, west), "  workers: 2\n");
        run(0, "repo-create", "--node", "us-east-1");
        agent = wf.startAgent("us-east-1");
        primary.execute("create table orders (id bigint primary key, note text)");
        primary.execute("insert into orders select g, 'first' from generate_series(1, 5000) g");
        run(0, "backup", "--node", "us-east-1");
        run(0, "replica", "create", "--node", "us-west-2", "--mode", "streaming");
        primary.execute("insert into orders select g, 'second' from generate_series(5001, 6000) g");
        awaitCaughtUp();
    }

    private void awaitCaughtUp() throws SQLException {
        String lsn = primary.queryString("select pg_current_wal_lsn()::text");
        Await.until(Duration.ofSeconds(60), "us-west-2 to replay " + lsn,
                () -> "t".equals(west.queryString("select pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")));
    }

    /** The old primary started again as a user would, with pg_ctl: it must be a standby that takes no writes. */
    private void startedByHandIsNotWritable() throws SQLException {
        primary.start();
        assertThat(primary.queryString("select pg_is_in_recovery()")).as("the fence made it a standby").isEqualTo("t");
        assertThatThrownBy(() -> primary.execute("insert into orders values (-2, 'two primaries?')"))
                .hasMessageContaining("read-only transaction");
    }

    /** us-east-1 streams from us-west-2 and holds exactly its rows. */
    private void followsTheNewPrimary() throws SQLException {
        west.execute("insert into orders select g, 'after rejoin' from generate_series(100001, 101000) g");
        long rows = count(west);
        Await.until(Duration.ofSeconds(120), "us-east-1 to replay the new primary's rows", () -> count(primary) == rows);
        assertThat(primary.queryString("select status || ':' || sender_port from pg_stat_wal_receiver")).isEqualTo("streaming:" + west.port());
        assertThat(primary.queryLong("select count(*) from orders where note = 'lost'")).as("what only the old primary had").isZero();
    }

    @Test
    void aPromotionAfterKillingThePrimaryIsQuickAndTheOldPrimaryRejoinsWithoutARewind() throws Exception {
        cluster(false);
        long acknowledged = count(primary);
        primary.crash();

        long t0 = System.nanoTime();
        Result p = run(0, "promote", "--node", "us-west-2");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).as("promote of a caught-up streaming replica after kill -9 of the primary (target 5 s): " + p.all())
                .isLessThan(Duration.ofSeconds(10));
        assertThat(p.out()).contains("us-west-2 is the primary on timeline 2")
                .contains("us-east-1: fenced on disk: started again, it is a standby of us-west-2");
        assertThat(count(west)).isEqualTo(acknowledged);
        assertThat(Files.exists(primary.dataDir().resolve("standby.signal"))).isTrue();

        startedByHandIsNotWritable();
        Result r = run(0, "replica", "rejoin", "--node", "us-east-1", "--output", "json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("how").asText()).as(r.all()).isIn("no_rewind_needed", "already");
        assertThat(j.get("server_log").asText()).endsWith("walferry-server.log");
        followsTheNewPrimary();
    }

    @Test
    void anOldPrimaryWithWritesTheNewOneLacksIsRewound() throws Exception {
        divergedOldPrimary(true);
        Path log = primary.dataDir().resolve("walferry-server.log");
        ServerUser.exec(ServerUser.wrap(List.of("bash", "-c", "echo 'what us-east-1 logged before its rewind' >> " + log)), null,
                Duration.ofSeconds(10));
        Result r = run(0, "replica", "rejoin", "--node", "us-east-1");
        assertThat(r.out()).contains("us-east-1 is a streaming replica of us-west-2 again, rewound with pg_rewind");
        assertThat(Files.readString(log)).as("its own server log, not the source's copy").contains("what us-east-1 logged before its rewind");
        followsTheNewPrimary();
    }

    @Test
    void withoutWalLogHintsTheOldPrimaryIsRestoredFromTheNewestBackup() throws Exception {
        divergedOldPrimary(false);
        Result r = run(0, "replica", "rejoin", "--node", "us-east-1");
        assertThat(r.out()).contains("restored from the newest backup").contains("wal_log_hints");
        followsTheNewPrimary();
    }

    /**
     * The old primary took writes that never reached the replica (its WAL receiver stopped), then was killed; the
     * replica is promoted without them, and the old primary, started by hand, is a standby stuck on its own history.
     */
    private void divergedOldPrimary(boolean walLogHints) throws Exception {
        cluster(walLogHints);
        west.execute("alter system set primary_conninfo = ''");
        west.execute("select pg_reload_conf()");
        Await.until(Duration.ofSeconds(30), "us-west-2 to stop streaming",
                () -> west.queryLong("select count(*) from pg_stat_wal_receiver") == 0);
        primary.execute("insert into orders select g, 'lost' from generate_series(6001, 6100) g");
        primary.crash();
        Result p = run(0, "promote", "--node", "us-west-2");
        assertThat(p.out()).contains("none reachable").contains("us-east-1: fenced on disk");
        startedByHandIsNotWritable();
        Result status = wf.run("status");
        assertThat(status.exitCode()).as(status.all()).isEqualTo(1);
        assertThat(status.out()).contains("DIVERGED: replica us-east-1");
    }
}
