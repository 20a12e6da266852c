package io.walferry.logical;

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

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * walferry logical create and run between two real PostgreSQL 15 servers, the target's role an ordinary user: a
 * workload of concurrent transactions over many types writes while the copy runs and while changes stream; the
 * applying process is killed with SIGKILL mid-stream, the create mid-copy, the target goes down for a while. At the
 * end every table is equal on both sides by row count and an order-independent checksum: nothing lost, nothing
 * applied twice (the accounts' balances only ever grow, so a transaction applied twice shows).
 */
@ExtendWith(PgLogOnFailure.class)
class LogicalStreamIT {
    private Path dir;
    private PgCluster source;
    private PgCluster target;
    private WalferryFixture wf;
    private LogicalWorkload workload;
    private final List<AgentProcess> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = TempDirs.create("wf-logical-");
        source = PgCluster.init(dir, "src");
        source.set("wal_level", "logical");
        source.start();
        target = PgCluster.init(dir, "dst");
        target.start();
        LogicalWorkload.createSchema(source);
        target.execute("create role app login");
        target.execute("create database shop owner app");
        wf = new WalferryFixture(dir.resolve("wf"), source, null);
        wf.logical("""
                  - name: shop
                    source: {node: src, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    copy_jobs: 2
                """.formatted(target.port()));
    }

    @AfterEach
    void tearDown() {
        if (workload != null) {
            workload.close();
        }
        processes.forEach(AgentProcess::close);
        if (target != null) {
            target.close();
        }
        if (source != null) {
            source.close();
        }
        TempDirs.deleteTree(dir);
    }

    @Test
    void copyAndStreamUnderWritesSurviveKillsAndATargetOutage() throws Exception {
        workload = LogicalWorkload.start(source, 3);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        assertThat(LogicalWorkload.phase(target)).isEqualTo("STREAMING");

        AgentProcess run = run();
        workload.awaitCommits(workload.commits() + 200);
        Await.until(Duration.ofSeconds(60), "changes applied on the target", () -> LogicalWorkload.transactionsApplied(target) > 0);

        // kill -9 while it applies: the next run resumes from the target's position
        run.kill9();
        workload.awaitCommits(workload.commits() + 200);
        run = run();
        workload.awaitCommits(workload.commits() + 200);

        // the target away for a while: the run pauses and resumes by itself
        target.stop();
        workload.awaitCommits(workload.commits() + 300);
        target.start();
        workload.awaitCommits(workload.commits() + 200);

        run.kill9();
        run = run();
        workload.stop();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.accountsTotal(target)).isEqualTo(LogicalWorkload.accountsTotal(source));
    }

    @Test
    void aCreateKilledDuringTheCopyStartsOverAndMeetsTheStream() throws Exception {
        LogicalWorkload.execute(source, "insert into big select g, md5(g::text) || repeat('x', 200) from generate_series(1, 300000) g");
        workload = LogicalWorkload.start(source, 2);
        workload.awaitCommits(20);
        AgentProcess create = wf.startProcess("", "logical", "create", "shop");
        processes.add(create);
        // The copy into big is held up by a lock taken as soon as create has made the table (or, if its COPY came first,
        // is running): either way create dies in the middle of the copy.
        try (Connection c = target.connect(LogicalWorkload.DATABASE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            boolean held = false;
            while (true) {
                try {
                    s.execute("lock table public.big in access exclusive mode nowait");
                    held = true;
                    break;
                } catch (SQLException e) {
                    c.rollback();
                    if ("55P03".equals(e.getSQLState())) {
                        break;
                    }
                    assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo("42P01");
                    assertThat(System.nanoTime()).as("create made table big on the target").isLessThan(deadline);
                    Thread.sleep(5);
                }
            }
            if (held) {
                Await.until(Duration.ofSeconds(60), "the copy into big to wait for the lock", () -> LogicalWorkload.queryLong(target,
                        "select count(*) from pg_stat_activity where usename = 'app' and wait_event_type = 'Lock'") > 0);
            }
            create.kill9();
            c.rollback();
        }
        assertThat(LogicalWorkload.phase(target)).isEqualTo("COPYING");

        Result again = ok("logical", "create", "shop", "--output", "json");
        assertThat(new ObjectMapper().readTree(again.out()).path("result").asText()).isEqualTo("created again");
        AgentProcess run = run();
        workload.awaitCommits(workload.commits() + 200);
        workload.stop();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from big")).isEqualTo(300000);
    }

    private AgentProcess run() {
        AgentProcess p = wf.startProcess("applying from", "logical", "run", "shop");
        processes.add(p);
        return p;
    }

    private Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }
}
