package io.walferry.replica;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A primary, a streaming replica and an archive-only replica made by walferry from a backup; both stay
 * current under writes; after a promotion the other replica follows the new primary and no acknowledged
 * write is lost.
 */
@ExtendWith(PgLogOnFailure.class)
class ReplicaIT {
    private java.nio.file.Path dir;
    private PgCluster primary;
    private PgCluster west;
    private PgCluster eu;
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-replica-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{west, eu, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }

    private static long count(PgCluster c) throws SQLException {
        return c.queryLong("select count(*) from orders");
    }

    private static void awaitRows(PgCluster c, long rows) {
        Await.until(Duration.ofSeconds(120), c.name() + " to hold " + rows + " rows", () -> {
            try {
                return count(c) >= rows;
            } catch (SQLException e) {
                return false;
            }
        });
    }

    @Test
    void streamingAndArchiveReplicasStayCurrentAndFollowAPromotion() throws Exception {
        primary = PgCluster.init(dir, "us-east-1", 1);
        wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.set("wal_keep_size", "256MB");
        // as a standby's postgresql.conf would: the backup carries it, and the archive replica must not stream from it
        primary.set("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=postgres");
        primary.start();
        west = PgCluster.existing(dir, "us-west-2");
        eu = PgCluster.existing(dir, "eu-central-1");
        wf.writeConfig(List.of(primary, west, eu), "  workers: 2\n");
        ok("repo-create", "--node", "us-east-1");
        try (AgentProcess agent = wf.startAgent("us-east-1")) {
            primary.execute("create table orders (id bigint primary key, note text)");
            primary.execute("insert into orders select g, 'first' from generate_series(1, 20000) g");
            ok("backup", "--node", "us-east-1");

            // the running primary is no node to make a replica of: said as that, and nothing touched
            Result onPrimary = wf.run("replica", "create", "--node", "us-east-1", "--force");
            assertThat(onPrimary.exitCode()).as(onPrimary.all()).isEqualTo(5);
            assertThat(onPrimary.err()).contains("node us-east-1 is the running primary").hasLineCount(1);
            assertThat(primary.queryString("select pg_is_in_recovery()")).isEqualTo("f");

            Result w = ok("replica", "create", "--node", "us-west-2", "--mode", "streaming");
            assertThat(w.out()).contains("us-west-2 is a streaming replica of us-east-1 through slot walferry_us_west_2")
                    .contains("its server log is " + west.dataDir().resolve("walferry-server.log"));
            Result unknown = wf.run("replica", "create", "--node", "eu-central-1", "--mode", "archive", "--repository", "nosuch");
            assertThat(unknown.exitCode()).as(unknown.all()).isEqualTo(2);
            assertThat(unknown.err()).contains("no repository named nosuch");
            JsonNode e = new ObjectMapper().readTree(ok("replica", "create", "--node", "eu-central-1", "--mode", "archive",
                    "--repository", "local", "--output", "json").out());
            assertThat(e.get("mode").asText()).isEqualTo("archive");
            assertThat(e.get("server_log").asText()).isEqualTo(eu.dataDir().resolve("walferry-server.log").toString());
            assertThat(eu.queryString("show restore_command")).as("queued segments handed over by sh, the rest by the launcher")
                    .startsWith("test -f pg_wal/walferry-prefetch/%f && mv -f ").contains(" archive-get %f \"%p\"");
            assertThat(west.queryString("select pg_is_in_recovery()")).isEqualTo("t");
            assertThat(eu.queryString("select status from pg_stat_wal_receiver")).as("no network path used").isNull();
            assertThat(eu.queryString("show primary_conninfo")).isEmpty();

            // writes keep flowing to both
            primary.execute("insert into orders select g, 'second' from generate_series(20001, 30000) g");
            awaitRows(west, 30000);
            primary.switchWal();
            awaitRows(eu, 30000);

            JsonNode status = new ObjectMapper().readTree(ok("status", "--output", "json").out());
            assertThat(status).hasSize(3);
            assertThat(status.get(0).get("role").asText()).isEqualTo("primary");
            assertThat(status.get(0).get("slots").get(0).get("name").asText()).isEqualTo("walferry_us_west_2");
            assertThat(status.get(1).get("role").asText()).isEqualTo("replica");
            assertThat(status.get(1).get("lagBytes").isNumber()).isTrue();
            assertThat(ok("status").out()).contains("us-west-2").contains("replica").contains("slot walferry_us_west_2");

            // acknowledged writes just before the primary is lost
            primary.execute("insert into orders select g, 'last' from generate_series(30001, 31000) g");
            long acknowledged = count(primary);
            Result p = ok("promote", "--node", "us-west-2");
            assertThat(p.out()).contains("us-west-2 is the primary on timeline 2").contains("us-east-1: stopped");
            assertThat(primary.isRunning()).as("two primaries are never writable at once").isFalse();
            assertThat(west.queryString("select pg_is_in_recovery()")).isEqualTo("f");
            assertThat(count(west)).as("no acknowledged write lost").isEqualTo(acknowledged);

            // the archive replica follows the new timeline
            west.execute("insert into orders select g, 'after promotion' from generate_series(31001, 32000) g");
            west.switchWal();
            awaitRows(eu, 32000);
        }
    }
}
