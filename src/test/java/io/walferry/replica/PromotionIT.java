package io.walferry.replica;

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
 * What promote refuses and why: a primary it cannot stop, a replica that lacks the old primary's last WAL or
 * has less than another; a replica it could not repoint fails the command until walferry replica repoint
 * does it; a replica create that fails leaves no slot on the primary.
 */
@ExtendWith(PgLogOnFailure.class)
class PromotionIT {
    private Path dir;
    private PgCluster primary;
    private final List<PgCluster> replicas = new ArrayList<>();
    private WalferryFixture wf;
    private AgentProcess agent;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-promotion-");
    }

    @AfterEach
    void tearDown() {
        if (agent != null) {
            agent.close();
        }
        for (PgCluster c : replicas) {
            c.close();
        }
        if (primary != null) {
            primary.close();
        }
        TempDirs.deleteTree(dir);
    }

    /** A primary with archiving, the agent, a table, a backup, and the named (not yet created) replica nodes. */
    private void cluster(String... replicaNames) throws Exception {
        primary = PgCluster.init(dir, "us-east-1", 1);
        wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.set("wal_keep_size", "256MB");
        primary.start();
        List<PgCluster> nodes = new ArrayList<>(List.of(primary));
        for (String name : replicaNames) {
            PgCluster r = PgCluster.existing(dir, name);
            replicas.add(r);
            nodes.add(r);
        }
        wf.writeConfig(nodes, "  workers: 2\n");
        ok("repo-create", "--node", "us-east-1");
        agent = wf.startAgent("us-east-1");
        primary.execute("create table orders (id bigint primary key, note text)");
        primary.execute("insert into orders select g, 'first' from generate_series(1, 5000) g");
        ok("backup", "--node", "us-east-1");
    }

    /** Makes a configured node a replica with walferry replica create; its cluster. */
    private PgCluster replica(String name, String mode) {
        ok("replica", "create", "--node", name, "--mode", mode);
        return node(name);
    }

    private PgCluster node(String name) {
        return replicas.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    private Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }

    private Result fails(int code, String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isEqualTo(code);
        return r;
    }

    private static long count(PgCluster c) throws SQLException {
        return c.queryLong("select count(*) from orders");
    }

    /** Writes the primary acknowledged last, and how many rows it holds after them. */
    private long lastWrites() throws SQLException {
        primary.execute("insert into orders select g, 'last' from generate_series(100001, 101000) g");
        return count(primary);
    }

    @Test
    void aPrimaryThatMayBeAnotherHostsIsNotStoppedButRefusedOrFencedReadOnlyWithForce() throws Exception {
        cluster("us-west-2");
        PgCluster west = replica("us-west-2", "streaming");
        // As with two hosts that use the same path: the old primary's configured data_directory is the target's here.
        String yaml = Files.readString(wf.config());
        Files.writeString(wf.config(), yaml.replace("data_directory: " + primary.dataDir() + "\n", "data_directory: " + west.dataDir() + "\n"));
        long acknowledged = lastWrites();

        Result refused = fails(5, "promote", "--node", "us-west-2");
        assertThat(refused.err()).contains("the old primary us-east-1").contains("still runs").contains("--force");
        assertThat(west.isRunning()).as("the node to promote was not stopped in the old primary's place").isTrue();
        assertThat(west.queryString("select pg_is_in_recovery()")).isEqualTo("t");
        assertThat(primary.isRunning()).isTrue();

        Result p = ok("promote", "--node", "us-west-2", "--force");
        assertThat(p.out()).contains("us-west-2 is the primary on timeline 2").contains("us-east-1: read-only");
        assertThat(primary.queryString("show default_transaction_read_only")).as("a new session on the old primary").isEqualTo("on");
        assertThat(west.queryString("select pg_is_in_recovery()")).isEqualTo("f");
        assertThat(count(west)).as("no acknowledged write lost").isEqualTo(acknowledged);
        Result status = ok("status");
        assertThat(status.out()).contains("primary (read-only)").doesNotContain("WARNING");
    }

    @Test
    void anArchiveReplicaIsNotPromotedWithoutTheOldPrimarysLastWal() throws Exception {
        cluster("eu-central-1");
        PgCluster eu = replica("eu-central-1", "archive");
        // nothing archives the last writes: neither the agent nor archive_command
        agent.close();
        agent = null;
        primary.execute("alter system set archive_command = '/bin/false'");
        primary.execute("select pg_reload_conf()");
        long acknowledged = lastWrites();

        Result refused = fails(5, "promote", "--node", "eu-central-1", "--timeout", "10");
        assertThat(refused.err()).contains("node eu-central-1 holds WAL up to").contains("would lose the writes");
        assertThat(primary.isRunning()).as("fenced").isFalse();
        assertThat(eu.queryString("select pg_is_in_recovery()")).isEqualTo("t");
        // Again, with no primary reachable: the old one, stopped on this host, still says where its WAL ends.
        assertThat(fails(5, "promote", "--node", "eu-central-1", "--timeout", "10").err()).contains("would lose the writes");

        primary.start();
        primary.execute("alter system reset archive_command");
        primary.execute("select pg_reload_conf()");
        Result p = ok("promote", "--node", "eu-central-1");
        assertThat(p.out()).contains("eu-central-1 is the primary on timeline 2").contains("us-east-1: stopped");
        assertThat(count(eu)).as("no acknowledged write lost").isEqualTo(acknowledged);
    }

    @Test
    void aReplicaIsNotPromotedWhileAnotherHoldsMoreWal() throws Exception {
        cluster("us-west-2", "eu-central-1");
        PgCluster west = replica("us-west-2", "streaming");
        PgCluster eu = replica("eu-central-1", "archive");
        long acknowledged = lastWrites();

        // The archive replica gets the old primary's WAL up to its shutdown checkpoint, the streaming one that too.
        Result refused = fails(5, "promote", "--node", "eu-central-1");
        assertThat(refused.err()).contains("replica us-west-2 holds WAL up to").contains("could not follow the new timeline")
                .contains("promote us-west-2 instead");
        assertThat(eu.queryString("select pg_is_in_recovery()")).isEqualTo("t");

        Result p = ok("promote", "--node", "us-west-2");
        assertThat(p.out()).contains("us-west-2 is the primary on timeline 2").contains("stopped before (us-east-1 on this host)")
                .contains("eu-central-1 (archive: follows the new timeline)");
        assertThat(count(west)).as("no acknowledged write lost").isEqualTo(acknowledged);
    }

    @Test
    void aReplicaCreateThatFailsLeavesNoSlotOnThePrimary() throws Exception {
        cluster("ap-south-1");
        PgCluster south = node("ap-south-1");
        Files.createDirectories(south.dataDir());
        Files.writeString(south.dataDir().resolve("stray"), "not a data directory");
        ServerUser.chown(south.dataDir());
        Result notEmpty = fails(5, "replica", "create", "--node", "ap-south-1", "--mode", "streaming");
        assertThat(notEmpty.err()).contains("is not empty");
        assertThat(primary.queryLong("select count(*) from pg_replication_slots")).as("no slot left holding WAL").isZero();
    }

    @Test
    void aReplicaThatCouldNotBeRepointedFailsPromoteUntilReplicaRepointDoesIt() throws Exception {
        cluster("us-west-2", "ap-south-1");
        PgCluster west = replica("us-west-2", "streaming");
        PgCluster south = replica("ap-south-1", "streaming");

        // the node to promote can hold no slot, so the other replica cannot be repointed to it
        west.set("max_replication_slots", "0");
        west.restart();
        long acknowledged = lastWrites();
        Result p = fails(1, "promote", "--node", "us-west-2");
        assertThat(p.out()).contains("us-west-2 is the primary on timeline 2").contains("ap-south-1: NOT repointed");
        assertThat(p.err()).contains("could not be repointed").contains("walferry replica repoint --node ap-south-1");
        assertThat(count(west)).isEqualTo(acknowledged);

        west.set("max_replication_slots", "10");
        west.restart();
        Result r = ok("replica", "repoint", "--node", "ap-south-1");
        assertThat(r.out()).contains("ap-south-1 (streaming from us-west-2)");
        Await.until(Duration.ofSeconds(120), "ap-south-1 to stream from us-west-2", () ->
                ("streaming:" + west.port()).equals(south.queryString("select status || ':' || sender_port from pg_stat_wal_receiver")));
        west.execute("insert into orders select g, 'after promotion' from generate_series(200001, 201000) g");
        long rows = count(west);
        Await.until(Duration.ofSeconds(120), "ap-south-1 to hold the new primary's rows", () -> count(south) == rows);
    }
}
