package io.walferry.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AckedWriter;
import io.walferry.testing.Await;
import io.walferry.testing.HaCluster;
import io.walferry.testing.Pace;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TcpProxy;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Automatic failover through a real etcd with three PostgreSQL nodes and their agents: the leader holds the key, a
 * lost primary node is replaced by the most advanced replica, a killed postmaster is restarted in place, a primary cut
 * off from etcd stops taking writes before its lease expires, and a primary whose agent dies is fenced by its watchdog.
 * A checker samples every node every 100 ms throughout: never two writable primaries. Synchronous mode: HaSynchronousIT.
 */
@ExtendWith(PgLogOnFailure.class)
class HaIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NODES = List.of("pg1", "pg2", "pg3");

    private HaCluster ha;

    @AfterEach
    void tearDown() {
        if (ha != null) {
            ha.close();
        }
    }

    /** pg1 the primary, pg2 and pg3 streaming replicas made by walferry, etcd, and (once started) the three agents. */
    private HaCluster cluster(int etcdMembers, String moreHa) throws Exception {
        ha = HaCluster.create("wf-ha-", NODES, etcdMembers, HaCluster.FAST + moreHa);
        return ha;
    }

    private PgCluster pg(String node) {
        return ha.pg(node);
    }

    @Test
    void aLostPrimaryNodeIsReplacedByAReplicaAndRejoinsAsOneWhenItIsBack() throws Exception {
        cluster(1, "");
        ha.startAgents();
        Await.until(Duration.ofSeconds(30), "every member to publish itself", () -> ha.apiJson("pg2", "/cluster").get("members").size() == 3);
        JsonNode c = ha.apiJson("pg2", "/cluster");
        assertThat(c.get("leader").asText()).isEqualTo("pg1");
        assertThat(c.get("members").get(0).get("decision").asText()).isEqualTo("no action: I am the leader with the lock");
        Result status = ha.ok("status");
        assertThat(status.out()).contains("HA: leader pg1").contains("pg1: no action: I am the leader with the lock")
                .contains("pg2: no action: streaming from the leader pg1");
        long acknowledged = ha.writeAndReplicate("pg1", 2001, 1000);

        // the whole node is lost: its agent, its watchdog and its server
        ha.lose("pg1");
        long t0 = System.nanoTime();
        String next = ha.awaitLeader("pg2", "pg3");
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertThat(seconds).as("failover within the 10 s lease and a few passes").isLessThan(40);
        assertThat(ha.rows(next)).as("every row acknowledged and replicated").isEqualTo(acknowledged);
        // the end of its recovery asked for the next timeline's history file and the parent's: its agent said "missing"
        // to both, no JVM (the file stays after the promotion, with the counts since the agent started; a standby
        // whose primary is gone also looks for a newer timeline's history now and then, so there may be more)
        String answered = Files.readString(pg(next).dataDir().resolve("pg_wal/walferry-prefetch/.promotion.answered"));
        java.util.regex.Matcher histories = java.util.regex.Pattern.compile("histories (\\d+)").matcher(answered);
        assertThat(histories.find()).as(answered).isTrue();
        assertThat(Integer.parseInt(histories.group(1))).as(answered).isGreaterThanOrEqualTo(2);
        String other = next.equals("pg2") ? "pg3" : "pg2";
        ha.awaitFollowing(other, next);
        pg(next).execute("insert into t values (-1, 'after failover')");
        ha.awaitRows(other, acknowledged + 1);

        // the old primary's agent comes back: it finds the leader and rejoins as a replica
        ha.startAgent("pg1");
        ha.awaitFollowing("pg1", next);
        ha.awaitRows("pg1", acknowledged + 1);
        assertThat(pg("pg1").queryString("select pg_is_in_recovery()")).isEqualTo("t");
        ha.checker().assertNeverTwo();
    }

    @Test
    void aKilledPostmasterOfTheLeaderIsStartedAgainInPlace() throws Exception {
        cluster(1, "");
        ha.startAgents();
        long n = ha.writeAndReplicate("pg1", 2001, 100);
        pg("pg1").crash();
        ha.awaitLeader("pg1");
        ha.awaitWrite("pg1", -1, "after restart");
        assertThat(ha.rows("pg1")).isEqualTo(n + 1);
        assertThat(ha.leader()).contains("pg1");

        // Again, and this time its start takes longer than the lease (ttl 10 s): its new postmaster is held stopped
        // for 15 s. The leader keeps the key while it starts it (primary_start_timeout): no failover.
        long killed = pg("pg1").postmasterPid().orElseThrow();
        pg("pg1").crash();
        long[] restarted = new long[1];
        Await.until(Duration.ofSeconds(30), "pg1's agent to start PostgreSQL again", () -> {
            restarted[0] = pg("pg1").postmasterPid().filter(p -> p != killed).orElse(0L);
            return restarted[0] != 0;
        });
        HaCluster.signal("STOP", String.valueOf(restarted[0]));
        try {
            Pace.observe(Duration.ofMillis(200), Duration.ofSeconds(15), () -> assertThat(ha.checker().writable("pg2")
                    || ha.checker().writable("pg3")).as("a replica promoted while the leader starts").isFalse());
        } finally {
            HaCluster.signal("CONT", String.valueOf(restarted[0]));
        }
        ha.awaitWrite("pg1", -2, "after a slow restart");
        assertThat(ha.leader()).contains("pg1");
        assertThat(pg("pg1").queryLong("select timeline_id from pg_control_checkpoint()")).as("no failover").isEqualTo(1);
        ha.checker().assertNeverTwo();
    }

    @Test
    void aKilledPostmasterOfTheLeaderIsStartedAgainBeforeTheNextPassIsDue() throws Exception {
        // a pass a minute: only the postmaster's watch can bring it back within the minute
        ha = HaCluster.create("wf-ha-", NODES, 1, """
                  ttl: 80s
                  loop_wait: 60s
                  retry_timeout: 5s
                """);
        ha.startAgents();
        long killed = pg("pg1").postmasterPid().orElseThrow();
        // the pass that took the key logged it; the next pass is due a minute after that pass began
        LocalDateTime took = loggedAt(ha.agent("pg1").log(), "HA: took the leader key");
        pg("pg1").crash();
        Await.until(Duration.ofSeconds(50), "pg1's agent to start PostgreSQL again",
                () -> pg("pg1").postmasterPid().filter(p -> p != killed).isPresent());
        assertThat(LocalDateTime.now()).as("restarted before the next pass was due").isBefore(took.plusSeconds(55));
        assertThat(ha.agent("pg1").log()).contains("the postmaster (pid " + killed + ") exited: the next pass starts now");
        ha.awaitWrite("pg1", -1, "after restart");
        assertThat(ha.leader()).contains("pg1");
        ha.checker().assertNeverTwo();
    }

    @Test
    void aPrimaryCutOffFromEtcdStopsTakingWritesAndRejoinsWhenHealed() throws Exception {
        cluster(1, "");
        try (TcpProxy cut = TcpProxy.start(ha.etcd().clientPort(0))) {
            ha.startAgentsWithEtcdThrough("pg1", cut);
            long acknowledged = ha.writeAndReplicate("pg1", 2001, 500);

            cut.cut();
            Await.until(Duration.ofSeconds(30), "pg1 to stop taking writes", () -> !ha.checker().writable("pg1"));
            String next = ha.awaitLeader("pg2", "pg3");
            assertThat(ha.rows(next)).isEqualTo(acknowledged);
            pg(next).execute("insert into t values (-1, 'after failover')");

            cut.heal();
            ha.awaitFollowing("pg1", next);
            ha.awaitRows("pg1", acknowledged + 1);
            ha.checker().assertNeverTwo();
        }
    }

    @Test
    void aPrimaryWhoseAgentDiesIsFencedByItsWatchdogBeforeAReplicaIsPromoted() throws Exception {
        cluster(1, "");
        ha.startAgents();
        long acknowledged = ha.writeAndReplicate("pg1", 2001, 300);
        ha.agent("pg1").kill9();
        Await.until(Duration.ofSeconds(30), "the watchdog to stop pg1", () -> !pg("pg1").isRunning());
        assertThat(Files.exists(pg("pg1").dataDir().resolve("standby.signal"))).as("fenced as a standby").isTrue();
        String next = ha.awaitLeader("pg2", "pg3");
        assertThat(ha.rows(next)).isEqualTo(acknowledged);
        ha.checker().assertNeverTwo();
    }

    @Test
    void aSwitchoverUnderWritesLosesNothingAndTheOldPrimaryFollowsWithoutARewind() throws Exception {
        cluster(1, "");
        ha.startAgents();
        ha.writeAndReplicate("pg1", 2001, 100);
        try (AckedWriter w = ha.writer()) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 50);
            Result r = ha.ok("switchover", "--to", "pg2", "--output", "json");
            assertThat(JSON.readTree(r.out()).get("to").asText()).isEqualTo("pg2");
            ha.awaitLeader("pg2");
            int before = w.acknowledged().size();
            Await.until(Duration.ofSeconds(60), "writes to go on on pg2", () -> w.acknowledged().size() > before + 50);
            w.stop();
            for (long id : w.acknowledged()) {
                assertThat(pg("pg2").queryLong("select count(*) from t where id = " + id)).as("acknowledged row " + id).isEqualTo(1);
            }
            System.out.println("switchover: longest gap between acknowledged writes " + w.longestGap().toMillis() + " ms");
        }
        ha.awaitFollowing("pg1", "pg2");
        assertThat(pg("pg1").queryString("select pg_is_in_recovery()")).isEqualTo("t");
        ha.awaitFollowing("pg3", "pg2");

        // and back, in a maintenance window a few seconds away: the request waits in etcd until then
        Instant at = Instant.now().plusSeconds(10);
        Result scheduled = ha.ok("switchover", "--to", "pg1", "--at", at.toString(), "--output", "json");
        assertThat(JSON.readTree(scheduled.out()).get("scheduled_at").asText())
                .isEqualTo(at.toString());
        ha.awaitLeader("pg1");
        // pg2's agent, not the test's clock (the command may start slowly on a loaded machine), says when it handed over
        assertThat(loggedAt(ha.agent("pg2").log(), "switchover to pg1 asked for")).as("not before its time")
                .isAfterOrEqualTo(LocalDateTime.ofInstant(at, ZoneId.systemDefault()).truncatedTo(ChronoUnit.MILLIS));
        // pg2's postgresql.conf is pg1's (its data came from pg1): demoted, it starts on its own port, without a rewind
        ha.awaitFollowing("pg2", "pg1");
        assertThat(ha.agent("pg2").log()).doesNotContain("Address already in use").doesNotContain("rewinding");
        ha.checker().assertNeverTwo();
    }

    /** When the agent logged the first line that contains {@code what} (its log's local time). */
    private static LocalDateTime loggedAt(String log, String what) {
        String line = log.lines().filter(l -> l.contains(what)).findFirst().orElseThrow(() -> new AssertionError("not logged: " + what));
        return LocalDateTime.parse(line.substring(0, 23), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
    }

    @Test
    void oneEtcdMemberOfThreeLostChangesNothingAndWithoutAQuorumTheLeaderKeepsServingInFailsafeMode() throws Exception {
        cluster(3, "");
        ha.startAgents();
        ha.etcd().kill(2);
        long n = ha.writeAndReplicate("pg1", 2001, 100);
        Await.until(Duration.ofSeconds(20), "pg1's agent to renew its lease on two etcd members",
                () -> ha.apiJson("pg1", "/cluster").get("members").findValues("decision").stream()
                        .anyMatch(d -> d.asText().equals("no action: I am the leader with the lock")));
        assertThat(ha.leader()).contains("pg1");

        // no quorum: every member is as blind as the leader, and agrees that it keeps serving
        ha.etcd().kill(1);
        Await.until(Duration.ofSeconds(40), "pg1 to serve in failsafe mode",
                () -> ha.apiJson("pg1", "/member").get("decision").asText().contains("failsafe mode"));
        // writes go on, one after the other, for longer than the 10 s lease
        long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        int writes = 0;
        while (System.nanoTime() < deadline) {
            pg("pg1").execute("insert into t values (" + (-1 - writes) + ", 'without etcd')");
            writes++;
        }
        assertThat(ha.checker().writable("pg1")).isTrue();

        ha.etcd().restart(1);
        ha.etcd().restart(2);
        ha.awaitLeaderWithTheLock("pg1");
        assertThat(ha.rows("pg1")).isEqualTo(n + writes);
        ha.checker().assertNeverTwo();
    }

    @Test
    void withoutFailsafeAnEtcdOutageStopsWritesWithinTheLeaseUntilEtcdIsBack() throws Exception {
        cluster(1, "  failsafe: false\n");
        ha.startAgents();
        long n = ha.writeAndReplicate("pg1", 2001, 100);
        ha.etcd().kill(0);
        Await.until(Duration.ofSeconds(40), "pg1 to stop taking writes without etcd", () -> !ha.checker().writable("pg1"));
        assertThat(NODES.stream().filter(ha.checker()::writable).toList()).as("nobody writable without etcd").isEmpty();
        ha.etcd().restart(0);
        String leader = ha.awaitLeader("pg1", "pg2", "pg3");
        pg(leader).execute("insert into t values (-1, 'after etcd')");
        assertThat(ha.rows(leader)).isEqualTo(n + 1);
        ha.checker().assertNeverTwo();
    }

    @Test
    void threeFailoversInARowAndTheArchiveOnlyReplicaFollowsEveryTimeline() throws Exception {
        cluster(1, "");
        PgCluster eu = ha.addNode("eu");
        ha.ok("replica", "create", "--node", "eu", "--mode", "archive");
        ha.startAgents();
        ha.startAgent("eu");
        String primary = "pg1";
        long id = 100_000;
        for (int round = 1; round <= 3; round++) {
            long n = ha.writeAndReplicate(primary, (int) id, 200);
            id += 1000;
            ha.lose(primary);
            String lost = primary;
            primary = ha.awaitLeaderOtherThan(lost);
            assertThat(ha.rows(primary)).as("round " + round).isEqualTo(n);
            pg(primary).execute("insert into t values (" + (-round) + ", 'round " + round + "')");
            pg(primary).switchWal();
            ha.awaitRows("eu", n + 1);
            assertThat(eu.queryString("select pg_is_in_recovery()")).isEqualTo("t");
            ha.startAgent(lost);
            ha.awaitFollowing(lost, primary);
            ha.awaitRows(lost, n + 1);
            ha.writeAndReplicate(primary, (int) id, 1); // every node on the new timeline before the next round
            id += 10;
        }
        assertThat(ha.leader()).isPresent();
        ha.checker().assertNeverTwo();
    }
}
