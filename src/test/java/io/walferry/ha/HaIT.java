package io.walferry.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.EtcdServer;
import io.walferry.testing.Pace;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TcpProxy;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Automatic failover through a real etcd with three PostgreSQL nodes and their agents: the leader holds the key, a
 * lost primary node is replaced by the most advanced replica, a killed postmaster is restarted in place, a primary cut
 * off from etcd stops taking writes before its lease expires, and a primary whose agent dies is fenced by its watchdog.
 * A checker samples every node every 100 ms throughout: never two writable primaries.
 */
@ExtendWith(PgLogOnFailure.class)
class HaIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> NODES = List.of("pg1", "pg2", "pg3");

    private Path dir;
    private EtcdServer etcd;
    private final Map<String, PgCluster> pg = new LinkedHashMap<>();
    private final Map<String, Integer> api = new HashMap<>();
    private final Map<String, AgentProcess> agents = new HashMap<>();
    private WalferryFixture wf;
    private TwoPrimaries checker;
    /** More archive: settings for the cluster a test starts (archive.stream, archive.synchronous). */
    private String archiveYaml = "";

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-ha-");
    }

    @AfterEach
    void tearDown() {
        if (checker != null) {
            checker.stop();
        }
        agents.values().forEach(AgentProcess::close);
        // the watchdogs outlive their agents: stop them with their data directories
        pg.values().forEach(PgCluster::close);
        if (etcd != null) {
            etcd.close();
        }
        ServerUser.exec(List.of("pkill", "-f", "walferry-watchdog.sh " + dir), null, Duration.ofSeconds(10));
        TempDirs.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }

    /** pg1 the primary, pg2 and pg3 streaming replicas made by walferry, etcd, and the three agents in HA. */
    private void cluster(String etcdEndpoints) throws Exception {
        cluster(etcdEndpoints, "");
    }

    private void cluster(String etcdEndpoints, String moreHa) throws Exception {
        cluster(etcdEndpoints, moreHa, 1);
    }

    private void cluster(String etcdEndpoints, String moreHa, int etcdMembers) throws Exception {
        cluster(etcdEndpoints, moreHa, etcdMembers, FAST);
    }

    /** The HA timing most tests run with: a failover within seconds. */
    private static final String FAST = """
              ttl: 10s
              loop_wait: 1s
              retry_timeout: 2s
            """;

    private void cluster(String etcdEndpoints, String moreHa, int etcdMembers, String timing) throws Exception {
        etcd = EtcdServer.start(dir.resolve("etcd"), etcdMembers);
        PgCluster p1 = PgCluster.init(dir, "pg1", 1);
        pg.put("pg1", p1);
        wf = new WalferryFixture(dir.resolve("wf"), p1, "  workers: 2\n");
        wf.enableArchiving(p1);
        p1.set("wal_keep_size", "256MB");
        p1.set("wal_log_hints", "on");
        p1.start();
        pg.put("pg2", PgCluster.existing(dir, "pg2"));
        pg.put("pg3", PgCluster.existing(dir, "pg3"));
        Map<String, String> perNode = new HashMap<>();
        for (String n : NODES) {
            api.put(n, freePort());
            perNode.put(n, "    api_port: " + api.get(n) + "\n");
        }
        wf.writeConfig(new ArrayList<>(pg.values()), "  workers: 2\n" + archiveYaml);
        wf.ha("""
                  etcd:
                    endpoints: %s
                  maximum_lag_on_failover: 64MB
                """.formatted(etcdEndpoints == null ? etcd.endpoints() : etcdEndpoints) + timing + moreHa, perNode);
        ok("repo-create", "--node", "pg1");
        p1.execute("create table t (id bigint primary key, note text)");
        p1.execute("insert into t select g, 'first' from generate_series(1, 1000) g");
        ok("backup", "--node", "pg1");
        ok("replica", "create", "--node", "pg2");
        ok("replica", "create", "--node", "pg3");
    }

    private void startAgents() {
        for (String n : NODES) {
            agents.put(n, wf.startAgent(n));
        }
        awaitLeader("pg1");
        checker = new TwoPrimaries(pg);
    }

    /** The member whose API says it is the primary holding the leader key. */
    private Optional<String> leader() {
        for (String n : NODES) {
            if (status(n, "/primary") == 200) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    private String awaitLeader(String... among) {
        String[] found = new String[1];
        Await.until(Duration.ofSeconds(90), "a leader among " + List.of(among), () -> {
            Optional<String> l = leader();
            if (l.isPresent() && List.of(among).contains(l.get())) {
                found[0] = l.get();
                return true;
            }
            return false;
        });
        return found[0];
    }

    private int status(String node, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get(node) + path)).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private JsonNode clusterApi(String node) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get(node) + "/cluster")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static long rows(PgCluster c) throws SQLException {
        return c.queryLong("select count(*) from t");
    }

    private void awaitFollowing(String replica, String primary) {
        Await.until(Duration.ofSeconds(120), replica + " to stream from " + primary, () -> ("streaming:" + pg.get(primary).port())
                .equals(pg.get(replica).queryString("select status || ':' || sender_port from pg_stat_wal_receiver")));
    }

    private void awaitRows(String node, long n) {
        Await.until(Duration.ofSeconds(120), node + " to hold " + n + " rows", () -> rows(pg.get(node)) == n);
    }

    private long writeAndReplicate(String primary, int from, int count) throws SQLException {
        pg.get(primary).execute("insert into t select g, 'w' from generate_series(" + from + ", " + (from + count - 1) + ") g");
        long n = rows(pg.get(primary));
        for (String r : NODES) {
            if (!r.equals(primary) && pg.get(r).isRunning()) {
                awaitRows(r, n);
            }
        }
        return n;
    }

    @Test
    void aLostPrimaryNodeIsReplacedByAReplicaAndRejoinsAsOneWhenItIsBack() throws Exception {
        cluster(null);
        startAgents();
        Await.until(Duration.ofSeconds(30), "every member to publish itself", () -> clusterApi("pg2").get("members").size() == 3);
        JsonNode c = clusterApi("pg2");
        assertThat(c.get("leader").asText()).isEqualTo("pg1");
        assertThat(c.get("members").get(0).get("decision").asText()).isEqualTo("no action: I am the leader with the lock");
        Result status = ok("status");
        assertThat(status.out()).contains("HA: leader pg1").contains("pg1: no action: I am the leader with the lock")
                .contains("pg2: no action: streaming from the leader pg1");
        long acknowledged = writeAndReplicate("pg1", 2001, 1000);

        // the whole node is lost: its agent, its watchdog and its server
        agents.get("pg1").kill9();
        ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/pg1")), null,
                Duration.ofSeconds(10));
        pg.get("pg1").crash();
        long t0 = System.nanoTime();
        String next = awaitLeader("pg2", "pg3");
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertThat(seconds).as("failover within the 10 s lease and a few passes").isLessThan(40);
        assertThat(rows(pg.get(next))).as("every row acknowledged and replicated").isEqualTo(acknowledged);
        // the end of its recovery asked for the next timeline's history file and the parent's: its agent said "missing"
        // to both, no JVM (the file stays after the promotion, with the counts)
        assertThat(Files.readString(pg.get(next).dataDir().resolve("pg_wal/walferry-prefetch/.promotion.answered")))
                .contains("histories 2");
        String other = next.equals("pg2") ? "pg3" : "pg2";
        awaitFollowing(other, next);
        pg.get(next).execute("insert into t values (-1, 'after failover')");
        awaitRows(other, acknowledged + 1);

        // the old primary's agent comes back: it finds the leader and rejoins as a replica
        agents.put("pg1", wf.startAgent("pg1"));
        awaitFollowing("pg1", next);
        awaitRows("pg1", acknowledged + 1);
        assertThat(pg.get("pg1").queryString("select pg_is_in_recovery()")).isEqualTo("t");
        checker.assertNeverTwo();
    }

    @Test
    void aKilledPostmasterOfTheLeaderIsStartedAgainInPlace() throws Exception {
        cluster(null);
        startAgents();
        long n = writeAndReplicate("pg1", 2001, 100);
        pg.get("pg1").crash();
        awaitLeader("pg1");
        awaitWrite("pg1", -1, "after restart");
        assertThat(rows(pg.get("pg1"))).isEqualTo(n + 1);
        assertThat(leader()).contains("pg1");

        // Again, and this time its start takes longer than the lease (ttl 10 s): its new postmaster is held stopped
        // for 15 s. The leader keeps the key while it starts it (primary_start_timeout): no failover.
        long killed = pg.get("pg1").postmasterPid().orElseThrow();
        pg.get("pg1").crash();
        long[] restarted = new long[1];
        Await.until(Duration.ofSeconds(30), "pg1's agent to start PostgreSQL again", () -> {
            restarted[0] = pg.get("pg1").postmasterPid().filter(p -> p != killed).orElse(0L);
            return restarted[0] != 0;
        });
        signal("STOP", String.valueOf(restarted[0]));
        try {
            Pace.observe(Duration.ofMillis(200), Duration.ofSeconds(15), () -> assertThat(checker.writable("pg2") || checker.writable("pg3"))
                    .as("a replica promoted while the leader starts").isFalse());
        } finally {
            signal("CONT", String.valueOf(restarted[0]));
        }
        awaitWrite("pg1", -2, "after a slow restart");
        assertThat(leader()).contains("pg1");
        assertThat(pg.get("pg1").queryLong("select timeline_id from pg_control_checkpoint()")).as("no failover").isEqualTo(1);
        checker.assertNeverTwo();
    }

    @Test
    void aKilledPostmasterOfTheLeaderIsStartedAgainBeforeTheNextPassIsDue() throws Exception {
        // a pass a minute: only the postmaster's watch can bring it back within the minute
        cluster(null, "", 1, """
                  ttl: 80s
                  loop_wait: 60s
                  retry_timeout: 5s
                """);
        startAgents();
        long killed = pg.get("pg1").postmasterPid().orElseThrow();
        // the pass that took the key logged it; the next pass is due a minute after that pass began
        LocalDateTime took = loggedAt(agents.get("pg1").log(), "HA: took the leader key");
        pg.get("pg1").crash();
        Await.until(Duration.ofSeconds(50), "pg1's agent to start PostgreSQL again",
                () -> pg.get("pg1").postmasterPid().filter(p -> p != killed).isPresent());
        assertThat(LocalDateTime.now()).as("restarted before the next pass was due").isBefore(took.plusSeconds(55));
        assertThat(agents.get("pg1").log()).contains("the postmaster (pid " + killed + ") exited: the next pass starts now");
        awaitWrite("pg1", -1, "after restart");
        assertThat(leader()).contains("pg1");
        checker.assertNeverTwo();
    }

    @Test
    void aPrimaryCutOffFromEtcdStopsTakingWritesAndRejoinsWhenHealed() throws Exception {
        cluster(null);
        try (TcpProxy cut = TcpProxy.start(etcd.clientPort(0))) {
            // pg1's agent reaches etcd through the proxy, the others directly
            Path own = wf.dir().resolve("pg1.yaml");
            Files.writeString(own, Files.readString(wf.config()).replace(etcd.endpoints(), "http://127.0.0.1:" + cut.port()));
            ServerUser.chown(own);
            agents.put("pg1", wf.startAgent("pg1", own));
            agents.put("pg2", wf.startAgent("pg2"));
            agents.put("pg3", wf.startAgent("pg3"));
            awaitLeader("pg1");
            checker = new TwoPrimaries(pg);
            long acknowledged = writeAndReplicate("pg1", 2001, 500);

            cut.cut();
            Await.until(Duration.ofSeconds(30), "pg1 to stop taking writes", () -> !checker.writable("pg1"));
            String next = awaitLeader("pg2", "pg3");
            assertThat(rows(pg.get(next))).isEqualTo(acknowledged);
            pg.get(next).execute("insert into t values (-1, 'after failover')");

            cut.heal();
            awaitFollowing("pg1", next);
            awaitRows("pg1", acknowledged + 1);
            checker.assertNeverTwo();
        }
    }

    @Test
    void aPrimaryWhoseAgentDiesIsFencedByItsWatchdogBeforeAReplicaIsPromoted() throws Exception {
        cluster(null);
        startAgents();
        long acknowledged = writeAndReplicate("pg1", 2001, 300);
        agents.get("pg1").kill9();
        Await.until(Duration.ofSeconds(30), "the watchdog to stop pg1", () -> !pg.get("pg1").isRunning());
        assertThat(Files.exists(pg.get("pg1").dataDir().resolve("standby.signal"))).as("fenced as a standby").isTrue();
        String next = awaitLeader("pg2", "pg3");
        assertThat(rows(pg.get(next))).isEqualTo(acknowledged);
        checker.assertNeverTwo();
    }

    @Test
    void aSwitchoverUnderWritesLosesNothingAndTheOldPrimaryFollowsWithoutARewind() throws Exception {
        cluster(null);
        startAgents();
        writeAndReplicate("pg1", 2001, 100);
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 50);
            Result r = ok("switchover", "--to", "pg2", "--output", "json");
            assertThat(JSON.readTree(r.out()).get("to").asText()).isEqualTo("pg2");
            awaitLeader("pg2");
            int before = w.acknowledged().size();
            Await.until(Duration.ofSeconds(60), "writes to go on on pg2", () -> w.acknowledged().size() > before + 50);
            w.stop();
            for (long id : w.acknowledged()) {
                assertThat(pg.get("pg2").queryLong("select count(*) from t where id = " + id)).as("acknowledged row " + id).isEqualTo(1);
            }
            System.out.println("switchover: longest gap between acknowledged writes " + w.longestGap().toMillis() + " ms");
        }
        awaitFollowing("pg1", "pg2");
        assertThat(pg.get("pg1").queryString("select pg_is_in_recovery()")).isEqualTo("t");
        awaitFollowing("pg3", "pg2");

        // and back, in a maintenance window a few seconds away: the request waits in etcd until then
        java.time.Instant at = java.time.Instant.now().plusSeconds(5);
        Result scheduled = ok("switchover", "--to", "pg1", "--at", at.toString(), "--output", "json");
        assertThat(JSON.readTree(scheduled.out()).get("scheduled_at").asText()).isEqualTo(at.toString());
        assertThat(leader()).as("not before its time").contains("pg2");
        awaitLeader("pg1");
        assertThat(java.time.Instant.now()).isAfter(at);
        // pg2's postgresql.conf is pg1's (its data came from pg1): demoted, it starts on its own port, without a rewind
        awaitFollowing("pg2", "pg1");
        assertThat(agents.get("pg2").log()).doesNotContain("Address already in use").doesNotContain("rewinding");
        checker.assertNeverTwo();
    }

    /** Three members in synchronous mode, pg1 the leader with one synchronous standby confirming its commits. */
    private void synchronousCluster() throws Exception {
        cluster(null, "  synchronous: on\n  synchronous_count: 1\n");
    }

    private void awaitSynchronousStandby() {
        Await.until(Duration.ofSeconds(60), "pg1's commits to wait for a synchronous standby",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").matches("FIRST 1 \\(\"pg[23]\"\\)")
                        && pg.get("pg1").queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
    }

    /** Writes go on on {@code node}, then every row the writer saw acknowledged, before and after the fault, is there. */
    private void assertEveryAcknowledgedRowOn(Writer w, String node, int atFault) throws Exception {
        Await.until(Duration.ofSeconds(90), "writes to go on on " + node, () -> w.acknowledged().size() > atFault + 50);
        w.stop();
        for (long id : w.acknowledged()) {
            assertThat(pg.get(node).queryLong("select count(*) from t where id = " + id)).as("acknowledged row " + id + " on " + node)
                    .isEqualTo(1);
        }
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryAgentDies() throws Exception {
        synchronousCluster();
        startAgents();
        awaitSynchronousStandby();
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            agents.get("pg1").kill9();
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(30), "the watchdog to stop pg1", () -> !pg.get("pg1").isRunning());
            assertEveryAcknowledgedRowOn(w, awaitLeader("pg2", "pg3"), atFault);
        }
        checker.assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryPostmasterIsKilled() throws Exception {
        synchronousCluster();
        startAgents();
        awaitSynchronousStandby();
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            long killed = pg.get("pg1").postmasterPid().orElseThrow();
            pg.get("pg1").crash();
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(60), "pg1's agent to start PostgreSQL again",
                    () -> pg.get("pg1").postmasterPid().filter(p -> p != killed).isPresent());
            assertEveryAcknowledgedRowOn(w, "pg1", atFault);
        }
        assertThat(leader()).contains("pg1");
        checker.assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenEtcdLosesAMemberAndThenItsQuorum() throws Exception {
        cluster(null, "  synchronous: on\n  synchronous_count: 1\n", 3);
        startAgents();
        awaitSynchronousStandby();
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            etcd.kill(2);
            etcd.kill(1);
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(40), "pg1 to serve in failsafe mode",
                    () -> JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get("pg1") + "/member")).GET()
                            .build(), HttpResponse.BodyHandlers.ofString()).body()).get("decision").asText().contains("failsafe mode"));
            // the writer goes on for longer than the lease, its commits confirmed by the synchronous standby
            Pace.observe(Duration.ofSeconds(1), Duration.ofSeconds(12), () -> assertThat(checker.writable("pg1")).isTrue());
            etcd.restart(1);
            etcd.restart(2);
            awaitLeader("pg1");
            assertEveryAcknowledgedRowOn(w, "pg1", atFault);
        }
        checker.assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostInASwitchover() throws Exception {
        synchronousCluster();
        startAgents();
        awaitSynchronousStandby();
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            int atFault = w.acknowledged().size();
            ok("switchover", "--to", "pg2");
            assertEveryAcknowledgedRowOn(w, awaitLeader("pg2"), atFault);
        }
        awaitFollowing("pg1", "pg2");
        checker.assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryIsCutOffFromEtcd() throws Exception {
        synchronousCluster();
        try (TcpProxy cut = TcpProxy.start(etcd.clientPort(0))) {
            Path own = wf.dir().resolve("pg1.yaml");
            Files.writeString(own, Files.readString(wf.config()).replace(etcd.endpoints(), "http://127.0.0.1:" + cut.port()));
            ServerUser.chown(own);
            agents.put("pg1", wf.startAgent("pg1", own));
            agents.put("pg2", wf.startAgent("pg2"));
            agents.put("pg3", wf.startAgent("pg3"));
            awaitLeader("pg1");
            checker = new TwoPrimaries(pg);
            awaitSynchronousStandby();
            try (Writer w = new Writer(pg)) {
                Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
                cut.cut();
                int atFault = w.acknowledged().size();
                Await.until(Duration.ofSeconds(30), "pg1 to stop taking writes", () -> !checker.writable("pg1"));
                assertEveryAcknowledgedRowOn(w, awaitLeader("pg2", "pg3"), atFault);
            }
            cut.heal();
        }
        checker.assertNeverTwo();
    }

    /**
     * HA's synchronous standby and the synchronous archive (archive.synchronous, docs/streaming.md) together: pg1's
     * commits wait for both its standby and its archive (synchronous_with_standbys: both); the node that takes over
     * after pg1 is lost runs with either, and its commits are confirmed by its standby or by its archive alone.
     */
    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryNodeIsLostUnderWrites() throws Exception {
        archiveYaml = "  stream: on\n  synchronous: on\n  synchronous_with_standbys: both\n";
        cluster(null, "  synchronous: on\n  synchronous_count: 1\n");
        startAgents();
        Await.until(Duration.ofSeconds(120), "pg1's commits to wait for its archive and a synchronous standby",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").matches("FIRST 2 \\(\"walferry_stream_pg1\", \"pg[23]\"\\)")
                        && pg.get("pg1").queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 2);
        // both: the standby confirms, the archive cannot store: the commit waits until it can
        String waited = commitWhileTheRepositoryIsReadOnly("pg1", 1_000_001, true);
        assertThat(lsnAtMost(pg.get("pg1"), waited, "walferry_stream_pg1")).as("acknowledged once stored in the repository").isTrue();
        // the nodes that may take over run with either
        wf.writeConfig(new ArrayList<>(pg.values()), "  workers: 2\n  stream: on\n  synchronous: on\n  synchronous_with_standbys: either\n");
        for (String n : List.of("pg2", "pg3")) {
            agents.get(n).stop();
            agents.put(n, wf.startAgent(n));
        }
        String next;
        try (Writer w = new Writer(pg)) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            agents.get("pg1").kill9();
            ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/pg1")), null,
                    Duration.ofSeconds(10));
            pg.get("pg1").crash();
            int atCrash = w.acknowledged().size();
            next = awaitLeader("pg2", "pg3");
            Await.until(Duration.ofSeconds(90), "writes to go on on " + next, () -> w.acknowledged().size() > atCrash + 50);
            w.stop();
            for (long id : w.acknowledged()) {
                assertThat(pg.get(next).queryLong("select count(*) from t where id = " + id)).as("acknowledged row " + id + " on " + next)
                        .isEqualTo(1);
            }
            assertThat(pg.get(next).queryString("show synchronous_standby_names")).startsWith("FIRST 1 (");
        }
        String archive = "walferry_stream_" + next;
        Await.until(Duration.ofSeconds(60), next + "'s commits to wait for its standby or its archive",
                () -> pg.get(next).queryString("show synchronous_standby_names").matches("FIRST 1 \\((\"pg\\d\", )+\"" + archive + "\"\\)"));
        // either: the archive cannot store, the standby confirms
        commitWhileTheRepositoryIsReadOnly(next, 1_000_002, false);
        // either: the last standby lost, the archive alone confirms, and only what it stored
        Await.until(Duration.ofSeconds(120), archive + " to stream again", () -> pg.get(next).queryLong(
                "select count(*) from pg_stat_replication where application_name = '" + archive + "'") == 1);
        lose(NODES.stream().filter(n -> !n.equals(next) && !n.equals("pg1")).findFirst().orElseThrow());
        String last = commitRow(pg.get(next), 1_000_003, "either: the archive confirms");
        assertThat(lsnAtMost(pg.get(next), last, archive)).as("acknowledged once stored in the repository").isTrue();
        checker.assertNeverTwo();
    }

    /**
     * Commits a row on {@code node} while the repository cannot be written, then makes it writable again: whether the
     * commit waited for that ({@code waits}); the position after the commit.
     */
    private String commitWhileTheRepositoryIsReadOnly(String node, long id, boolean waits) throws Exception {
        java.util.concurrent.ExecutorService one = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            ServerUser.exec(List.of("chmod", "-R", "u-w", wf.repo().toString()), null, Duration.ofSeconds(30));
            java.util.concurrent.Future<String> commit = one.submit(() -> commitRow(pg.get(node), id, "while the repository is read-only"));
            if (waits) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> commit.get(5, java.util.concurrent.TimeUnit.SECONDS))
                        .as("the archive cannot store: the commit waits").isInstanceOf(java.util.concurrent.TimeoutException.class);
            } else {
                commit.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            ServerUser.exec(List.of("chmod", "-R", "u+w", wf.repo().toString()), null, Duration.ofSeconds(30));
            return commit.get(120, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            ServerUser.exec(List.of("chmod", "-R", "u+w", wf.repo().toString()), null, Duration.ofSeconds(30));
            one.shutdownNow();
        }
    }

    /** Commits a row; the WAL position its commit record comes after. */
    private static String commitRow(PgCluster c, long id, String note) throws SQLException {
        try (java.sql.Connection conn = c.connect(); java.sql.Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute("insert into t values (" + id + ", '" + note + "')");
            String lsn;
            try (java.sql.ResultSet r = st.executeQuery("select pg_current_wal_insert_lsn()::text")) {
                r.next();
                lsn = r.getString(1);
            }
            conn.commit();
            return lsn;
        }
    }

    /** Whether {@code lsn} is at most the restart_lsn of {@code slot}: what every required repository holds. */
    private static boolean lsnAtMost(PgCluster c, String lsn, String slot) throws SQLException {
        return c.queryString("select ('" + lsn + "'::pg_lsn <= restart_lsn)::text from pg_replication_slots where slot_name = '" + slot + "'")
                .equals("true");
    }

    /**
     * The synchronous standby pg2 is lost; the leader's commits then wait for pg3, which has not yet received what pg2
     * confirmed (its WAL receiver is stopped). The primary is lost too before pg3 catches up: pg3 must not be promoted
     * (it lacks acknowledged rows), and pg2, back, is.
     */
    @Test
    void aNewSynchronousStandbyIsNotPromotedBeforeItHoldsWhatTheOldOneConfirmed() throws Exception {
        cluster(null, "  synchronous: on\n  synchronous_count: 1\n");
        startAgents();
        Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg2",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")")
                        && pg.get("pg1").queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
        String receiver = pg.get("pg3").queryString("select pid from pg_stat_wal_receiver");
        signal("STOP", receiver);
        try {
            pg.get("pg1").execute("insert into t select g, 'confirmed by pg2' from generate_series(2001, 3000) g");
            lose("pg2");
            Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg3",
                    () -> pg.get("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg3\")"));
            Await.until(Duration.ofSeconds(30), "pg1's agent to act on the synchronous set (log: " + agents.get("pg1").log() + ")",
                    () -> agents.get("pg1").log().contains("HA: waiting for [pg3] to flush past")
                            || agents.get("pg1").log().contains("HA: synchronous standbys recorded: [pg3]"));
            lose("pg1");
        } finally {
            signal("CONT", receiver);
        }
        Await.until(Duration.ofSeconds(60), "pg3 to refuse the free key for want of pg2's answer",
                () -> agents.get("pg3").log().contains("only 1 of the synchronous standbys [pg2, pg3] answered"));
        assertThat(leader()).isEmpty();
        pg.get("pg2").start();
        agents.put("pg2", wf.startAgent("pg2"));
        assertThat(awaitLeader("pg2", "pg3")).isEqualTo("pg2");
        assertThat(pg.get("pg2").queryLong("select count(*) from t where id between 2001 and 3000")).isEqualTo(1000);
        awaitFollowing("pg3", "pg2");
        awaitRows("pg3", rows(pg.get("pg2")));
        checker.assertNeverTwo();
    }

    /**
     * Not strict: with every standby lost the primary's commits go on (the store then names no synchronous standby, so
     * that nobody would be promoted), and a standby back is waited for again once it has caught up.
     */
    @Test
    void notStrictCommitsGoOnWithoutStandbysAndWaitAgainForOneThatIsBack() throws Exception {
        cluster(null, "  synchronous: on\n  synchronous_count: 1\n  synchronous_strict: false\n");
        startAgents();
        Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg2",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")"));
        lose("pg2");
        lose("pg3");
        Await.until(Duration.ofSeconds(60), "pg1's commits to go on without a standby",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").isEmpty());
        assertThat(agents.get("pg1").log()).contains("commits go on without one (synchronous_strict: false)");
        pg.get("pg1").execute("insert into t select g, 'alone' from generate_series(2001, 2100) g");
        int logFrom = agents.get("pg1").log().length();
        pg.get("pg2").start();
        agents.put("pg2", wf.startAgent("pg2"));
        Await.until(Duration.ofSeconds(90), "pg1's commits to wait for pg2 again, and the store to name it",
                () -> pg.get("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")")
                        && agents.get("pg1").log().substring(logFrom).contains("synchronous standbys recorded: [pg2]"));
        awaitRows("pg2", rows(pg.get("pg1")));
        checker.assertNeverTwo();
    }

    /** Until {@code node} takes a write of row {@code id}. */
    private void awaitWrite(String node, long id, String note) {
        Await.until(Duration.ofSeconds(60), node + " to take writes again", () -> {
            try {
                pg.get(node).execute("insert into t values (" + id + ", '" + note + "')");
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
    }

    /** When the agent logged the first line that contains {@code what} (its log's local time). */
    private static LocalDateTime loggedAt(String log, String what) {
        String line = log.lines().filter(l -> l.contains(what)).findFirst().orElseThrow(() -> new AssertionError("not logged: " + what));
        return LocalDateTime.parse(line.substring(0, 23), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
    }

    /** A node lost at once: its agent, its watchdog and its PostgreSQL killed. */
    private void lose(String node) throws Exception {
        agents.get(node).kill9();
        ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/" + node)), null,
                Duration.ofSeconds(10));
        pg.get(node).crash();
    }

    private static void signal(String which, String pid) throws Exception {
        ServerUser.exec(List.of("kill", "-" + which, pid), null, Duration.ofSeconds(10));
    }

    @Test
    void oneEtcdMemberOfThreeLostChangesNothingAndWithoutAQuorumTheLeaderKeepsServingInFailsafeMode() throws Exception {
        cluster(null, "", 3);
        startAgents();
        etcd.kill(2);
        long n = writeAndReplicate("pg1", 2001, 100);
        Await.until(Duration.ofSeconds(20), "pg1's agent to renew its lease on two etcd members",
                () -> clusterApi("pg1").get("members").findValues("decision").stream()
                        .anyMatch(d -> d.asText().equals("no action: I am the leader with the lock")));
        assertThat(leader()).contains("pg1");

        // no quorum: every member is as blind as the leader, and agrees that it keeps serving
        etcd.kill(1);
        Await.until(Duration.ofSeconds(40), "pg1 to serve in failsafe mode",
                () -> JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get("pg1") + "/member")).GET()
                        .build(), HttpResponse.BodyHandlers.ofString()).body()).get("decision").asText().contains("failsafe mode"));
        // writes go on, one after the other, for longer than the 10 s lease
        long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        int writes = 0;
        while (System.nanoTime() < deadline) {
            pg.get("pg1").execute("insert into t values (" + (-1 - writes) + ", 'without etcd')");
            writes++;
        }
        assertThat(checker.writable("pg1")).isTrue();

        etcd.restart(1);
        etcd.restart(2);
        awaitLeader("pg1");
        assertThat(rows(pg.get("pg1"))).isEqualTo(n + writes);
        checker.assertNeverTwo();
    }

    @Test
    void withoutFailsafeAnEtcdOutageStopsWritesWithinTheLeaseUntilEtcdIsBack() throws Exception {
        cluster(null, "  failsafe: false\n", 1);
        startAgents();
        long n = writeAndReplicate("pg1", 2001, 100);
        etcd.kill(0);
        Await.until(Duration.ofSeconds(40), "pg1 to stop taking writes without etcd", () -> !checker.writable("pg1"));
        assertThat(NODES.stream().filter(checker::writable).toList()).as("nobody writable without etcd").isEmpty();
        etcd.restart(0);
        String leader = awaitLeader("pg1", "pg2", "pg3");
        pg.get(leader).execute("insert into t values (-1, 'after etcd')");
        assertThat(rows(pg.get(leader))).isEqualTo(n + 1);
        checker.assertNeverTwo();
    }

    @Test
    void threeFailoversInARowAndTheArchiveOnlyReplicaFollowsEveryTimeline() throws Exception {
        cluster(null);
        PgCluster eu = PgCluster.existing(dir, "eu");
        pg.put("eu", eu);
        Map<String, String> perNode = new HashMap<>();
        for (String n : NODES) {
            perNode.put(n, "    api_port: " + api.get(n) + "\n");
        }
        api.put("eu", freePort());
        perNode.put("eu", "    api_port: " + api.get("eu") + "\n");
        wf.writeConfig(new ArrayList<>(pg.values()), "  workers: 2\n");
        wf.ha(Files.readString(wf.config()).substring(Files.readString(wf.config()).indexOf("ha:\n") + 4), perNode);
        ok("replica", "create", "--node", "eu", "--mode", "archive");
        startAgents();
        agents.put("eu", wf.startAgent("eu"));
        String primary = "pg1";
        long id = 100_000;
        for (int round = 1; round <= 3; round++) {
            long n = writeAndReplicate(primary, (int) id, 200);
            id += 1000;
            agents.get(primary).kill9();
            ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/" + primary)), null,
                    Duration.ofSeconds(10));
            pg.get(primary).crash();
            String lost = primary;
            primary = awaitLeader(NODES.stream().filter(x -> !x.equals(lost)).toArray(String[]::new));
            assertThat(rows(pg.get(primary))).as("round " + round).isEqualTo(n);
            pg.get(primary).execute("insert into t values (" + (-round) + ", 'round " + round + "')");
            pg.get(primary).switchWal();
            awaitRows("eu", n + 1);
            assertThat(eu.queryString("select pg_is_in_recovery()")).isEqualTo("t");
            agents.put(lost, wf.startAgent(lost));
            awaitFollowing(lost, primary);
            awaitRows(lost, n + 1);
            writeAndReplicate(primary, (int) id, 1); // every node on the new timeline before the next round
            id += 10;
        }
        assertThat(leader()).isPresent();
        checker.assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostInThreeNodeLossesInARow() throws Exception {
        synchronousCluster();
        startAgents();
        String primary = "pg1";
        try (Writer w = new Writer(pg)) {
            for (int round = 1; round <= 3; round++) {
                String current = primary;
                Await.until(Duration.ofSeconds(90), "round " + round + ": " + current + "'s commits to wait for a synchronous standby",
                        () -> pg.get(current).queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
                int before = w.acknowledged().size();
                Await.until(Duration.ofSeconds(60), "round " + round + ": writes on " + current, () -> w.acknowledged().size() > before + 100);
                agents.get(current).kill9();
                ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/" + current)), null,
                        Duration.ofSeconds(10));
                pg.get(current).crash();
                primary = awaitLeader(NODES.stream().filter(x -> !x.equals(current)).toArray(String[]::new));
                agents.put(current, wf.startAgent(current));
                awaitFollowing(current, primary);
            }
            assertEveryAcknowledgedRowOn(w, primary, w.acknowledged().size());
        }
        checker.assertNeverTwo();
    }

    /** Inserts one row at a time through a multi-host URL that finds the primary, and records each acknowledged id. */
    private static final class Writer implements AutoCloseable {
        private final List<Long> acked = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile long lastAck = System.nanoTime();
        private volatile long longestGap;

        Writer(Map<String, PgCluster> nodes) {
            String hosts = String.join(",", nodes.values().stream().map(c -> "127.0.0.1:" + c.port()).toList());
            String url = "jdbc:postgresql://" + hosts + "/postgres?user=postgres&targetServerType=primary&connectTimeout=2"
                    + "&socketTimeout=10";
            thread = new Thread(() -> {
                long id = 10_000_000;
                while (running.get()) {
                    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
                         java.sql.PreparedStatement p = c.prepareStatement("insert into t values (?, 'writer')")) {
                        while (running.get()) {
                            p.setLong(1, id);
                            p.executeUpdate();
                            acked.add(id);
                            long now = System.nanoTime();
                            longestGap = Math.max(longestGap, now - lastAck);
                            lastAck = now;
                            id++;
                        }
                    } catch (SQLException e) {
                        id++; // the row of a failed insert may or may not exist: not counted, and never reused
                        if (!Pace.pause(Duration.ofMillis(50))) { // a client that retries every 50 ms, as the benchmark's
                            return;
                        }
                    }
                }
            }, "writer");
            thread.setDaemon(true);
            thread.start();
        }

        List<Long> acknowledged() {
            return acked;
        }

        Duration longestGap() {
            return Duration.ofNanos(longestGap);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /** Samples every node's pg_is_in_recovery() every 100 ms; remembers any moment two answered false. */
    private static final class TwoPrimaries {
        private final Map<String, PgCluster> nodes;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<String> overlaps = new CopyOnWriteArrayList<>();
        private final Map<String, Boolean> lastWritable = new java.util.concurrent.ConcurrentHashMap<>();
        private final Thread thread;

        TwoPrimaries(Map<String, PgCluster> nodes) {
            this.nodes = nodes;
            this.thread = new Thread(this::loop, "two-primaries");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            while (running.get()) {
                List<String> writable = new ArrayList<>();
                for (Map.Entry<String, PgCluster> e : nodes.entrySet()) {
                    boolean w = isWritable(e.getValue());
                    lastWritable.put(e.getKey(), w);
                    if (w) {
                        writable.add(e.getKey());
                    }
                }
                if (writable.size() > 1) {
                    overlaps.add(java.time.Instant.now() + " " + writable);
                }
                if (!Pace.pause(Duration.ofMillis(100))) { // the checker looks ten times a second
                    return;
                }
            }
        }

        private static boolean isWritable(PgCluster c) {
            try {
                return "f".equals(c.queryString("select pg_is_in_recovery()"));
            } catch (SQLException e) {
                return false;
            }
        }

        boolean writable(String node) {
            return lastWritable.getOrDefault(node, false);
        }

        void assertNeverTwo() {
            assertThat(overlaps).as("moments with two writable primaries").isEmpty();
        }

        void stop() {
            running.set(false);
            thread.interrupt();
        }
    }
}
