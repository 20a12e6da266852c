package io.walferry.ha;

import io.walferry.testing.AckedWriter;
import io.walferry.testing.Await;
import io.walferry.testing.HaCluster;
import io.walferry.testing.Pace;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TcpProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            ha.awaitLeaderWithTheLock("pg1");
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

    /**
     * HA's synchronous standby and the synchronous archive (archive.synchronous, docs/streaming.md) together: pg1's
     * commits wait for both its standby and its archive (synchronous_with_standbys: both); the node that takes over
     * after pg1 is lost runs with either, and its commits are confirmed by its standby or by its archive alone.
     */
    @Test
    void inSynchronousModeNoAcknowledgedWriteIsLostWhenThePrimaryNodeIsLostUnderWrites() throws Exception {
        ha = HaCluster.create("wf-ha-sync-", NODES, 1, HaCluster.FAST + HaCluster.SYNCHRONOUS,
                "  stream: on\n  synchronous: on\n  synchronous_with_standbys: both\n");
        ha.startAgents();
        Await.until(Duration.ofSeconds(120), "pg1's commits to wait for its archive and a synchronous standby",
                () -> pg("pg1").queryString("show synchronous_standby_names").matches("FIRST 2 \\(\"walferry_stream_pg1\", \"pg[23]\"\\)")
                        && pg("pg1").queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 2);
        // both: the standby confirms, the archive cannot store: the commit waits until it can
        String waited = commitWhileTheRepositoryIsReadOnly("pg1", 1_000_001, true);
        assertThat(lsnAtMost(pg("pg1"), waited, "walferry_stream_pg1")).as("acknowledged once stored in the repository").isTrue();
        // the nodes that may take over run with either
        ha.archive("  stream: on\n  synchronous: on\n  synchronous_with_standbys: either\n");
        for (String n : List.of("pg2", "pg3")) {
            ha.agent(n).stop();
            ha.startAgent(n);
        }
        String next;
        try (AckedWriter w = ha.writer()) {
            Await.until(Duration.ofSeconds(30), "the writer to write", () -> w.acknowledged().size() > 200);
            ha.lose("pg1");
            int atCrash = w.acknowledged().size();
            next = ha.awaitLeader("pg2", "pg3");
            ha.assertEveryAcknowledgedRowOn(w, next, atCrash);
            assertThat(pg(next).queryString("show synchronous_standby_names")).startsWith("FIRST 1 (");
        }
        String archive = "walferry_stream_" + next;
        Await.until(Duration.ofSeconds(60), next + "'s commits to wait for its standby or its archive",
                () -> pg(next).queryString("show synchronous_standby_names").matches("FIRST 1 \\((\"pg\\d\", )+\"" + archive + "\"\\)"));
        // either: the archive cannot store, the standby confirms
        commitWhileTheRepositoryIsReadOnly(next, 1_000_002, false);
        // either: the last standby lost, the archive alone confirms, and only what it stored
        Await.until(Duration.ofSeconds(120), archive + " to stream again", () -> pg(next).queryLong(
                "select count(*) from pg_stat_replication where application_name = '" + archive + "'") == 1);
        ha.lose(NODES.stream().filter(n -> !n.equals(next) && !n.equals("pg1")).findFirst().orElseThrow());
        String last = commitRow(pg(next), 1_000_003, "either: the archive confirms");
        assertThat(lsnAtMost(pg(next), last, archive)).as("acknowledged once stored in the repository").isTrue();
        ha.checker().assertNeverTwo();
    }

    /**
     * Commits a row on {@code node} while the repository cannot be written, then makes it writable again: whether the
     * commit waited for that ({@code waits}); the position after the commit.
     */
    private String commitWhileTheRepositoryIsReadOnly(String node, long id, boolean waits) throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            ServerUser.exec(List.of("chmod", "-R", "u-w", ha.wf().repo().toString()), null, Duration.ofSeconds(30));
            Future<String> commit = one.submit(() -> commitRow(pg(node), id, "while the repository is read-only"));
            if (waits) {
                assertThatThrownBy(() -> commit.get(5, TimeUnit.SECONDS))
                        .as("the archive cannot store: the commit waits").isInstanceOf(TimeoutException.class);
            } else {
                commit.get(60, TimeUnit.SECONDS);
            }
            ServerUser.exec(List.of("chmod", "-R", "u+w", ha.wf().repo().toString()), null, Duration.ofSeconds(30));
            return commit.get(120, TimeUnit.SECONDS);
        } finally {
            ServerUser.exec(List.of("chmod", "-R", "u+w", ha.wf().repo().toString()), null, Duration.ofSeconds(30));
            one.shutdownNow();
        }
    }

    /** Commits a row; the WAL position its commit record comes after. */
    private static String commitRow(PgCluster c, long id, String note) throws SQLException {
        try (Connection conn = c.connect(); Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute("insert into t values (" + id + ", '" + note + "')");
            String lsn;
            try (ResultSet r = st.executeQuery("select pg_current_wal_insert_lsn()::text")) {
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
