package io.walferry.ha;

import io.walferry.testing.AckedWriter;
import io.walferry.testing.Await;
import io.walferry.testing.HaCluster;
import io.walferry.testing.Pace;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TcpProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Synchronous mode through a real etcd with three PostgreSQL nodes and their agents: in every fault HaIT covers, a
 * writer that records each acknowledged commit finds all of them on the primary afterwards; a standby that lacks what
 * the synchronous one confirmed is never promoted; and without strictness commits go on alone. Never two writable
 * primaries throughout.
 */
@ExtendWith(PgLogOnFailure.class)
class HaSynchronousIT {
    private static final List<String> NODES = List.of("pg1", "pg2", "pg3");

    private HaCluster ha;

    @AfterEach
    void tearDown() {
        if (ha != null) {
            ha.close();
        }
    }

    /** pg1 the leader in synchronous mode with one synchronous standby, and {@code more} under ha:. */
    private void synchronousCluster(int etcdMembers, String more) throws Exception {
        ha = HaCluster.create("wf-ha-sync-", NODES, etcdMembers, HaCluster.FAST + HaCluster.SYNCHRONOUS + more);
    }

    private PgCluster pg(String node) {
        return ha.pg(node);
    }

    /** The agents started, pg1's commits confirmed by a synchronous standby, and a writer past its first 200 rows. */
    private AckedWriter writingInSynchronousMode() {
        ha.startAgents();
        return writing();
    }

    private AckedWriter writing() {
        ha.awaitSynchronousStandby("pg1");
        AckedWriter w = ha.writer();
        Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
        return w;
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryAgentDies() throws Exception {
        synchronousCluster(1, "");
        try (AckedWriter w = writingInSynchronousMode()) {
            ha.agent("pg1").kill9();
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(30), "the watchdog to stop pg1", () -> !pg("pg1").isRunning());
            ha.assertEveryAcknowledgedRowOn(w, ha.awaitLeader("pg2", "pg3"), atFault);
        }
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryPostmasterIsKilled() throws Exception {
        synchronousCluster(1, "");
        try (AckedWriter w = writingInSynchronousMode()) {
            long killed = pg("pg1").postmasterPid().orElseThrow();
            pg("pg1").crash();
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(60), "pg1's agent to start PostgreSQL again",
                    () -> pg("pg1").postmasterPid().filter(p -> p != killed).isPresent());
            ha.assertEveryAcknowledgedRowOn(w, "pg1", atFault);
        }
        assertThat(ha.leader()).contains("pg1");
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenEtcdLosesAMemberAndThenItsQuorum() throws Exception {
        synchronousCluster(3, "");
        try (AckedWriter w = writingInSynchronousMode()) {
            ha.etcd().kill(2);
            ha.etcd().kill(1);
            int atFault = w.acknowledged().size();
            Await.until(Duration.ofSeconds(40), "pg1 to serve in failsafe mode",
                    () -> ha.apiJson("pg1", "/member").get("decision").asText().contains("failsafe mode"));
            // the writer goes on for longer than the lease, its commits confirmed by the synchronous standby
            Pace.observe(Duration.ofSeconds(1), Duration.ofSeconds(12), () -> assertThat(ha.checker().writable("pg1")).isTrue());
            ha.etcd().restart(1);
            ha.etcd().restart(2);
            ha.awaitLeader("pg1");
            ha.assertEveryAcknowledgedRowOn(w, "pg1", atFault);
        }
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostInASwitchover() throws Exception {
        synchronousCluster(1, "");
        try (AckedWriter w = writingInSynchronousMode()) {
            int atFault = w.acknowledged().size();
            ha.ok("switchover", "--to", "pg2");
            ha.assertEveryAcknowledgedRowOn(w, ha.awaitLeader("pg2"), atFault);
        }
        ha.awaitFollowing("pg1", "pg2");
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryIsCutOffFromEtcd() throws Exception {
        synchronousCluster(1, "");
        try (TcpProxy cut = TcpProxy.start(ha.etcd().clientPort(0))) {
            ha.startAgentsWithEtcdThrough("pg1", cut);
            try (AckedWriter w = writing()) {
                cut.cut();
                int atFault = w.acknowledged().size();
                Await.until(Duration.ofSeconds(30), "pg1 to stop taking writes", () -> !ha.checker().writable("pg1"));
                ha.assertEveryAcknowledgedRowOn(w, ha.awaitLeader("pg2", "pg3"), atFault);
            }
            cut.heal();
        }
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryNodeIsLostUnderWrites() throws Exception {
        synchronousCluster(1, "");
        try (AckedWriter w = writingInSynchronousMode()) {
            ha.lose("pg1");
            int atCrash = w.acknowledged().size();
            String next = ha.awaitLeader("pg2", "pg3");
            ha.assertEveryAcknowledgedRowOn(w, next, atCrash);
            assertThat(pg(next).queryString("show synchronous_standby_names")).startsWith("FIRST 1 (");
        }
        ha.checker().assertNeverTwo();
    }

    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostInThreeNodeLossesInARow() throws Exception {
        synchronousCluster(1, "");
        ha.startAgents();
        String primary = "pg1";
        try (AckedWriter w = ha.writer()) {
            for (int round = 1; round <= 3; round++) {
                String current = primary;
                Await.until(Duration.ofSeconds(90), "round " + round + ": " + current + "'s commits to wait for a synchronous standby",
                        () -> pg(current).queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
                int before = w.acknowledged().size();
                Await.until(Duration.ofSeconds(60), "round " + round + ": writes on " + current, () -> w.acknowledged().size() > before + 100);
                ha.lose(current);
                primary = ha.awaitLeaderOtherThan(current);
                ha.startAgent(current);
                ha.awaitFollowing(current, primary);
            }
            ha.assertEveryAcknowledgedRowOn(w, primary, w.acknowledged().size());
        }
        ha.checker().assertNeverTwo();
    }

    /**
     * The synchronous standby pg2 is lost; the leader's commits then wait for pg3, which has not yet received what pg2
     * confirmed (its WAL receiver is stopped). The primary is lost too before pg3 catches up: pg3 must not be promoted
     * (it lacks acknowledged rows), and pg2, back, is.
     */
    @Test
    void aNewSynchronousStandbyIsNotPromotedBeforeItHoldsWhatTheOldOneConfirmed() throws Exception {
        synchronousCluster(1, "");
        ha.startAgents();
        Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg2",
                () -> pg("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")")
                        && pg("pg1").queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
        String receiver = pg("pg3").queryString("select pid from pg_stat_wal_receiver");
        HaCluster.signal("STOP", receiver);
        try {
            pg("pg1").execute("insert into t select g, 'confirmed by pg2' from generate_series(2001, 3000) g");
            ha.lose("pg2");
            Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg3",
                    () -> pg("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg3\")"));
            Await.until(Duration.ofSeconds(30), "pg1's agent to act on the synchronous set (log: " + ha.agent("pg1").log() + ")",
                    () -> ha.agent("pg1").log().contains("HA: waiting for [pg3] to flush past")
                            || ha.agent("pg1").log().contains("HA: synchronous standbys recorded: [pg3]"));
            ha.lose("pg1");
        } finally {
            HaCluster.signal("CONT", receiver);
        }
        Await.until(Duration.ofSeconds(60), "pg3 to refuse the free key for want of pg2's answer",
                () -> ha.agent("pg3").log().contains("only 1 of the synchronous standbys [pg2, pg3] answered"));
        assertThat(ha.leader()).isEmpty();
        pg("pg2").start();
        ha.startAgent("pg2");
        assertThat(ha.awaitLeader("pg2", "pg3")).isEqualTo("pg2");
        assertThat(pg("pg2").queryLong("select count(*) from t where id between 2001 and 3000")).isEqualTo(1000);
        ha.awaitFollowing("pg3", "pg2");
        ha.awaitRows("pg3", ha.rows("pg2"));
        ha.checker().assertNeverTwo();
    }

    /**
     * Not strict: with every standby lost the primary's commits go on (the store then names no synchronous standby, so
     * that nobody would be promoted), and a standby back is waited for again once it has caught up.
     */
    @Test
    void notStrictCommitsGoOnWithoutStandbysAndWaitAgainForOneThatIsBack() throws Exception {
        synchronousCluster(1, "  synchronous_strict: false\n");
        ha.startAgents();
        Await.until(Duration.ofSeconds(60), "pg1's commits to wait for pg2",
                () -> pg("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")"));
        ha.lose("pg2");
        ha.lose("pg3");
        Await.until(Duration.ofSeconds(60), "pg1's commits to go on without a standby",
                () -> pg("pg1").queryString("show synchronous_standby_names").isEmpty());
        assertThat(ha.agent("pg1").log()).contains("commits go on without one (synchronous_strict: false)");
        pg("pg1").execute("insert into t select g, 'alone' from generate_series(2001, 2100) g");
        int logFrom = ha.agent("pg1").log().length();
        pg("pg2").start();
        ha.startAgent("pg2");
        Await.until(Duration.ofSeconds(90), "pg1's commits to wait for pg2 again, and the store to name it",
                () -> pg("pg1").queryString("show synchronous_standby_names").equals("FIRST 1 (\"pg2\")")
                        && ha.agent("pg1").log().substring(logFrom).contains("synchronous standbys recorded: [pg2]"));
        ha.awaitRows("pg2", ha.rows("pg1"));
        ha.checker().assertNeverTwo();
    }
}
