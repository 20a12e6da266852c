package io.walferry.logical;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.OtherMajors;
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
    private final List<PgCluster> others = new ArrayList<>();

    @BeforeEach
    void setUp(org.junit.jupiter.api.TestInfo info) throws Exception {
        dir = TempDirs.create("wf-logical-");
        // the failover test's source is a PostgreSQL 17 primary (one initdb fewer than making another)
        boolean pg17Source = info.getTestMethod().map(m -> m.getName().startsWith("aPostgreSql17Source")).orElse(false);
        source = pg17Source ? PgCluster.init(dir, "src", 0, OtherMajors.postgres17()) : PgCluster.init(dir, "src");
        source.set("wal_level", "logical");
        source.start();
        LogicalWorkload.createSchema(source);
        wf = new WalferryFixture(dir.resolve("wf"), source, null);
        target(PgCluster.init(dir, "dst"));
    }

    /** The target server: started, with an ordinary role that owns the target database, and configured as the stream's target. */
    private void target(PgCluster cluster) throws Exception {
        target = cluster;
        target.start();
        target.execute("create role app login");
        target.execute("create database shop owner app");
        configure();
    }

    private void configure() {
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
        others.forEach(PgCluster::close);
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

        Await.until(Duration.ofSeconds(60), "logical status to show the stream applying", () -> {
            JsonNode st = status();
            return st.path("running").asBoolean() && st.path("rows_per_second").asDouble() > 0 && st.path("healthy").asBoolean();
        });
        JsonNode st = status();
        assertThat(st.path("phase").asText()).isEqualTo("streaming");
        assertThat(st.path("slot_lag_bytes").isNumber()).as(st.toString()).isTrue();
        assertThat(st.path("retained_bytes").isNumber()).as(st.toString()).isTrue();
        assertThat(st.path("apply_lag_seconds").isNumber()).as(st.toString()).isTrue();
        assertThat(st.path("transactions_per_second").asDouble()).isPositive();
        JsonNode all = new ObjectMapper().readTree(wf.inProcess("status", "--output", "json").out());
        assertThat(all.findValuesAsText("kind")).containsExactly("node", "logical_stream");

        // the target away for a while: the run pauses and resumes by itself; status says what is wrong meanwhile
        target.stop();
        Result down = wf.inProcess("logical", "status", "shop", "--output", "json");
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(new ObjectMapper().readTree(down.out()).path("target_error").asText()).contains("the target of logical stream shop");
        workload.awaitCommits(workload.commits() + 300);
        target.start();
        workload.awaitCommits(workload.commits() + 200);
        Await.until(Duration.ofSeconds(90), "the stream to apply again", () -> status().path("healthy").asBoolean()
                && status().path("last_error").isNull());

        run.kill9();
        run = run();
        workload.stop();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));

        // the stream's database writes nothing now: WAL other databases write is still let go, and on a source where
        // nothing at all is written, the heartbeat still moves the slot's confirmed position on
        source.execute("create table elsewhere as select g, md5(g::text) from generate_series(1, 200000) g");
        awaitConfirmedAtLeast(source.queryString("select pg_current_wal_lsn()"));
        String idle = source.queryString("select pg_current_wal_lsn()");
        Await.until(Duration.ofSeconds(90), "a heartbeat past " + idle, () -> source.queryLong("select count(*) from pg_replication_slots "
                + "where slot_name = 'walferry_shop' and confirmed_flush_lsn > '" + idle + "'") == 1);
        assertThat(source.queryLong("select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) from pg_replication_slots "
                + "where slot_name = 'walferry_shop'")).isLessThan(1 << 20);

        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.accountsTotal(target)).isEqualTo(LogicalWorkload.accountsTotal(source));
    }

    /**
     * apply_sessions: 3 under the concurrent workload: one target session waits for a lock on the target while the others
     * go on, so later source transactions commit before an earlier one (their ends in the applied set, the position
     * behind them), and run is killed then; once more later with every session busy. The next runs skip exactly what
     * the position and the set hold: at the end a cutover (while run applies) compares every table equal, no ledger row
     * is there twice, and the set is empty.
     */
    @Test
    void severalTargetSessionsSurviveAKillWhileOneWaitsAndApplyNothingTwice() throws Exception {
        wf.logical("""
                  - name: shop
                    source: {node: src, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    copy_jobs: 2
                    apply_sessions: 3
                """.formatted(target.port()));
        LogicalWorkload.execute(source, "insert into big select g, 'b' from generate_series(1, 100) g");
        workload = LogicalWorkload.start(source, 3);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        AgentProcess run = run();
        assertThat(run.log()).contains("with 3 target sessions");
        assertThat(status().path("applier").asText()).endsWith(", 3 target sessions");
        Await.until(Duration.ofSeconds(60), "changes applied on the target", () -> LogicalWorkload.transactionsApplied(target) > 0);

        try (Connection c = target.connect(LogicalWorkload.DATABASE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("lock table public.big in access exclusive mode");
            LogicalWorkload.execute(source, "update big set filler = 'waits' where id = 1");
            workload.awaitCommits(workload.commits() + 100);
            AgentProcess applying = run;
            Await.until(Duration.ofSeconds(90), "later transactions applied while one session waits for the lock on big", () -> {
                assertThat(applying.isAlive()).as(applying.log()).isTrue();
                return LogicalWorkload.queryLong(target, "select count(*) from pg_stat_activity where usename = 'app' "
                        + "and wait_event_type = 'Lock'") > 0
                        && LogicalWorkload.queryLong(target, "select count(*) from walferry.logical_applied") > 20;
            });
            run.kill9();
            c.rollback();
        }
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from big where filler = 'waits'")).isZero();
        run = run();
        workload.awaitCommits(workload.commits() + 300);
        run.kill9();
        run = run();
        workload.stop();
        LogicalWorkload.execute(source, "do $$ begin for i in 1..1000 loop update big set filler = filler || '.' where id = i % 100 + 1; "
                + "commit; end loop; end $$");
        // a transaction too large to hold goes alone, as it arrives
        LogicalWorkload.execute(source, "insert into big select g, 'large' from generate_series(1000, 1000 + " + ParallelSession.LARGE + ") g");
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        // cutover waits until the slot has confirmed its final position, which only the position P moves
        Result cutover = wf.run("logical", "cutover", "shop", "--grace", "0", "--output", "json");
        assertThat(cutover.exitCode()).as(cutover.all()).isZero();
        AgentProcess last = run;
        Await.until(Duration.ofSeconds(60), "logical run to stop once cut over", () -> !last.isAlive());
        assertThat(run.log()).contains("is applied alone");
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.accountsTotal(target)).isEqualTo(LogicalWorkload.accountsTotal(source));
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from walferry.logical_applied")).as("the position moved past it all").isZero();
    }

    @Test
    void toAPostgreSql17TargetUnderWritesAndAKillThenCutOver() throws Exception {
        target.close();
        target(PgCluster.init(dir, "dst17", 0, OtherMajors.postgres17()));
        assertThat(target.queryLong("select current_setting('server_version_num')::int / 10000")).isEqualTo(17);

        workload = LogicalWorkload.start(source, 3, true);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        AgentProcess run = run();
        workload.awaitCommits(workload.commits() + 300);
        run.kill9();
        workload.awaitCommits(workload.commits() + 100);
        AgentProcess again = run();
        workload.awaitCommits(workload.commits() + 200);

        Result r = wf.run("logical", "cutover", "shop", "--grace", "2", "--drop-slot", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        long acknowledged = workload.commits();
        workload.stop();
        assertThat(workload.commits()).isEqualTo(acknowledged);
        LogicalWorkload.assertEqual(source, target);
        Await.until(Duration.ofSeconds(60), "logical run to stop", () -> !again.isAlive());
    }

    /**
     * run: agent, and a PostgreSQL 17 source that fails over: the primary's agent applies the stream (status says so), the
     * stream's slot is a failover slot, the standby that walferry replica create made
     * keeps a synchronized copy of it, the primary waits for that standby before a change reaches the stream
     * (synchronized_standby_slots), and once the primary is lost and the standby promoted, the new primary's agent resumes
     * the stream from the copy: every row the new primary holds is on the target once. The stream is set up by hand (the
     * machine has no pg_dump 17 for logical create, which says so in one line first); everything after is walferry's. Adds
     * about 70 s (150 s on a very loaded machine).
     */
    @Test
    void aPostgreSql17SourceFailsOverAndTheNewPrimarysAgentResumesFromTheSynchronizedSlot() throws Exception {
        Path bin17 = OtherMajors.postgres17();
        PgCluster p17 = source;
        // logical create with a pg_dump older than the source: one line naming the version and where to point walferry,
        // before anything is made on the source
        Result oldDump = wf.run("logical", "create", "shop", "--pg-bin", PgCluster.DEFAULT_BIN);
        assertThat(oldDump.exitCode()).as(oldDump.all()).isEqualTo(2);
        assertThat(oldDump.err().strip().lines()).as(oldDump.err()).hasSize(1).first().asString()
                .contains("no pg_dump and pg_restore of PostgreSQL 17 or later").contains(PgCluster.DEFAULT_BIN + " (15)")
                .contains("point --pg-bin at their bin directory");
        assertThat(LogicalWorkload.queryLong(p17, "select count(*) from pg_publication")).isZero();
        assertThat(p17.queryLong("select count(*) from pg_replication_slots")).isZero();
        PgCluster sb = PgCluster.existing(dir, "sb", bin17);
        others.add(sb);
        p17.stop();
        wf.enableArchiving(p17);
        p17.start();
        String bin = "    bin_directory: " + bin17 + "\n";
        wf.nodeKeys(java.util.Map.of("src", bin, "sb", bin), null);
        wf.logical("""
                  - name: shop
                    source: {node: src, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    run: agent
                """.formatted(target.port()));
        wf.writeConfig(List.of(p17, sb), null);
        LogicalWorkload.execute(p17, "create table t (id bigint primary key, v text); create publication walferry_shop for table t");
        String start = LogicalWorkload.queryString(p17, "select lsn from pg_create_logical_replication_slot('walferry_shop', 'pgoutput')");
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + target.port() + "/shop", "app", "")) {
            c.createStatement().execute("create table t (id bigint primary key, v text)");
            io.walferry.postgres.logical.StreamState.ensureTable(c);
            io.walferry.postgres.logical.StreamState.beginCopy(c, "shop", "walferry_shop", "walferry_shop", "node src/shop", List.of("public.t"));
            io.walferry.postgres.logical.StreamState.finishCopy(c, "shop", io.walferry.postgres.Lsn.parse(start));
        }
        ok("repo-create", "--node", "src");
        AgentProcess first = wf.startAgent("src");
        processes.add(first);
        // the agent runs the stream and makes its slot a failover slot
        LogicalWorkload.execute(p17, "insert into t select g, 'before' from generate_series(1, 1000) g");
        Await.until(Duration.ofSeconds(90), "rows on the target", () -> LogicalWorkload.queryLong(target, "select count(*) from t") == 1000);
        assertThat(LogicalWorkload.queryString(p17, "select failover from pg_replication_slots where slot_name = 'walferry_shop'")).isEqualTo("t");
        Await.until(Duration.ofSeconds(60), "status to show the agent applying", () -> {
            JsonNode st = status();
            return st.path("running").asBoolean() && st.path("applier").asText().endsWith("(agent of node src)");
        });
        assertThat(wf.inProcess("status").out()).contains("stream shop: applied by ").contains("(agent of node src) from node src/shop");
        ok("backup", "--node", "src");
        ok("replica", "create", "--node", "sb", "--mode", "streaming");
        assertThat(sb.queryString("show sync_replication_slots")).isEqualTo("on");
        assertThat(sb.queryString("show hot_standby_feedback")).isEqualTo("on");
        assertThat(sb.queryString("show primary_conninfo")).contains("dbname=postgres");

        // under writes: the primary waits for the standby before the stream gets a change; the standby keeps a copy of
        // the slot; then the primary and its agent are lost, the standby is promoted, and its agent resumes the stream
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(1001);
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = p17.connect("shop"); Statement s = c.createStatement()) {
                while (true) {
                    s.execute("insert into t values (" + next.get() + ", 'under')");
                    next.incrementAndGet();
                    io.walferry.testing.Pace.pause(Duration.ofMillis(2));
                }
            } catch (SQLException e) {
                // the primary is gone
            }
        });
        Await.until(Duration.ofSeconds(60), "synchronized_standby_slots", () -> "walferry_sb".equals(p17.queryString("show synchronized_standby_slots")));
        Await.until(Duration.ofSeconds(90), "the standby's copy of the slot", () -> sb.queryLong("select count(*) from pg_replication_slots "
                + "where slot_name = 'walferry_shop' and synced and not temporary and confirmed_flush_lsn is not null") == 1);
        long before = next.get();
        Await.until(Duration.ofSeconds(90), "writes applied with the standby's slot in place", () -> LogicalWorkload.queryLong(target,
                "select count(*) from t where id > " + before) > 100);
        first.kill9();
        p17.crash();
        writer.join(Duration.ofSeconds(30));
        Result promoted = wf.run("promote", "--node", "sb");
        assertThat(promoted.exitCode()).as(promoted.all()).isZero();
        AgentProcess second = wf.startAgent("sb");
        processes.add(second);
        LogicalWorkload.execute(sb, "insert into t select g, 'after' from generate_series(100001, 101000) g");
        Await.until(Duration.ofSeconds(90), "the stream resumed from the new primary", () -> LogicalWorkload.queryLong(target,
                "select count(*) from t where v = 'after'") == 1000);
        assertThat(status().path("applier").asText()).endsWith("(agent of node sb)");
        assertThat(wf.inProcess("status").out()).contains("(agent of node sb) from node sb/shop");
        // every row the new primary holds is on the target, once, and nothing else
        assertThat(LogicalWorkload.queryString(target, "select count(*) || ' ' || sum(id) || ' ' || md5(string_agg(id || v, ',' order by id)) from t"))
                .isEqualTo(LogicalWorkload.queryString(sb, "select count(*) || ' ' || sum(id) || ' ' || md5(string_agg(id || v, ',' order by id)) from t"));
    }

    @Test
    void wrongWalLevelMissingPrivilegeAndSchemaDriftEachSayOneLine() throws Exception {
        source.set("wal_level", "replica");
        source.restart();
        Result r = wf.run("logical", "create", "shop");
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1).first().asString()
                .contains("wal_level is replica on the source").contains("set wal_level = logical in postgresql.conf");
        source.set("wal_level", "logical");
        source.restart();

        target.execute("create role plain login");
        target.execute("create database other owner app");
        wf.logical("""
                  - name: shop
                    source: {node: src, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: other, user: plain}
                """.formatted(target.port()));
        target.execute("revoke create on database other from public");
        r = wf.run("logical", "create", "shop");
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1).first().asString()
                .contains("role plain may not create schemas in database other").contains("GRANT CREATE ON DATABASE other TO plain");

        configure();
        ok("logical", "create", "shop");
        AgentProcess run = run();
        LogicalWorkload.execute(source, "alter table events add column extra text; insert into events values (1, 'e', 'x')");
        assertThat(run.awaitExit(Duration.ofSeconds(60))).isEqualTo(5);
        List<String> errors = run.log().lines().filter(l -> l.contains("schema drift")).toList();
        assertThat(errors).as(run.log()).hasSize(1);
        assertThat(errors.get(0)).contains("column public.events.extra is on the source but not on the target")
                .contains("walferry logical sync-schema shop");
        assertThat(status().path("last_error").asText()).contains("public.events.extra");

        // sync-schema: the column added; a new table, which walferry's publication does not list yet, added to it and copied
        LogicalWorkload.execute(source, "create table tags (id int primary key, name text); insert into tags select g, 't' || g "
                + "from generate_series(1, 50) g");
        Result synced = ok("logical", "sync-schema", "shop", "--output", "json");
        JsonNode done = new ObjectMapper().readTree(synced.out());
        assertThat(done.path("columns").findValuesAsText("column")).containsExactly("extra");
        assertThat(done.path("publication_added").toString()).isEqualTo("[\"public.tags\"]");
        run = run();
        LogicalWorkload.execute(source, "insert into tags values (51, 'after'); update tags set name = 'changed' where id = 1; "
                + "insert into events values (2, 'e', 'y')");
        Await.until(Duration.ofSeconds(60), "tags and events equal on the target", () -> LogicalWorkload.checksum(source, "tags")
                .equals(LogicalWorkload.checksum(target, "tags")) && LogicalWorkload.checksum(source, "events")
                .equals(LogicalWorkload.checksum(target, "events")));
        assertThat(LogicalWorkload.checksum(target, "tags")).startsWith("51 rows");

        // sync-schema while the stream applies: a new table, written meanwhile, waits for its copy and then streams on
        LogicalWorkload.execute(source, "create table labels (id int primary key, n int not null)");
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = source.connect(LogicalWorkload.DATABASE); Statement st = c.createStatement()) {
                for (int n = 1; writing.get(); n++) {
                    st.execute("insert into labels values (" + n + ", 0); update labels set n = n + 1 where id = " + (n / 2 + 1));
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "labels-writer");
        writer.start();
        try {
            ok("logical", "sync-schema", "shop");
            Await.until(Duration.ofSeconds(60), "labels to stream on", () -> LogicalWorkload.queryLong(target,
                    "select count(*) from labels") > LogicalWorkload.queryLong(target, "select count(*) from tags"));
        } finally {
            writing.set(false);
            writer.join(30_000);
        }
        assertThat(failed.get()).isNull();
        Await.until(Duration.ofSeconds(60), "labels equal on the target", () -> LogicalWorkload.checksum(source, "labels")
                .equals(LogicalWorkload.checksum(target, "labels")));
        assertThat(run.isAlive()).as("the stream went on: " + run.log()).isTrue();
        run.stop();

        // what an interrupted sync-schema leaves (a table recorded as being copied, partly there): copied again from scratch
        LogicalWorkload.execute(source, "create table memo (id int primary key, t text); insert into memo select g, 'm' from generate_series(1, 20) g");
        LogicalWorkload.execute(target, "insert into walferry.logical_synced_table (stream, table_name) values ('shop', '\"public\".\"memo\"'); "
                + "create table memo (id int primary key, t text); insert into memo values (1, 'partial'), (99, 'not on the source')");
        Result again = ok("logical", "sync-schema", "shop", "--output", "json");
        assertThat(new ObjectMapper().readTree(again.out()).path("tables").toString()).isEqualTo("[\"public.memo\"]");
        assertThat(LogicalWorkload.checksum(target, "memo")).isEqualTo(LogicalWorkload.checksum(source, "memo"));
        assertThat(LogicalWorkload.queryString(target, "select copied_lsn is not null from walferry.logical_synced_table "
                + "where table_name = '\"public\".\"memo\"'")).isEqualTo("t");
    }

    /**
     * Under writes, with a publication of the schema: a table created on the source (written before and during) stops the
     * stream on drift, and a column is added there (and filled). sync-schema refuses a changed type changing nothing, then
     * adds the column and copies the table while its writes go on; the stream resumes, and every table,
     * the new one included, is equal: its rows committed around the copy's snapshot are there once (its key refuses a
     * second insert, a missing one shows in the count). Applied by two target sessions (apply_sessions: 2), so that the
     * skip before the copy's point is tested where parallel apply decodes; the drift test below tests it with one.
     */
    @Test
    void syncSchemaAddsAColumnAndCopiesANewTableUnderWritesAndTheStreamResumesExactly() throws Exception {
        // a publication of the schema: a table created there is published at once, and its first change is drift
        LogicalWorkload.execute(source, "create publication shop_schema for tables in schema public");
        wf.logical("""
                  - name: shop
                    source: {node: src, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    publication: shop_schema
                    copy_jobs: 2
                    apply_sessions: 2
                """.formatted(target.port()));
        workload = LogicalWorkload.start(source, 2);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        AgentProcess run = run();
        workload.awaitCommits(workload.commits() + 50);
        LogicalWorkload.execute(source, "create table notes (id bigint primary key, hits int not null default 0, body text)");
        java.util.concurrent.atomic.AtomicBoolean fill = new java.util.concurrent.atomic.AtomicBoolean();
        SideWriter side = new SideWriter(fill);
        try {
            assertThat(run.awaitExit(Duration.ofSeconds(90))).as(run.log()).isEqualTo(5);
            assertThat(run.log().lines().filter(l -> l.contains("schema drift")).toList()).as(run.log()).singleElement().asString()
                    .contains("table public.notes is published on the source but does not exist on the target");
            // and a column, which writes fill
            LogicalWorkload.execute(source, "alter table items add column extra text default 'x'");
            fill.set(true);
            side.awaitCommits(side.commits() + 100);

            Result dry = ok("logical", "sync-schema", "shop", "--dry-run", "--output", "json");
            JsonNode plan = new ObjectMapper().readTree(dry.out());
            assertThat(plan.path("result").asText()).isEqualTo("planned");
            assertThat(plan.path("columns").findValuesAsText("statement"))
                    .containsExactly("ALTER TABLE \"public\".\"items\" ADD COLUMN \"extra\" text DEFAULT 'x'::text");
            assertThat(plan.path("tables").toString()).isEqualTo("[\"public.notes\"]");
            assertThat(LogicalWorkload.tableExists(target, "notes")).isFalse();

            // a changed type: refused in one line, nothing changed on the target (the additive changes wait too)
            LogicalWorkload.execute(source, "alter table big alter column filler type varchar(200)");
            Result refused = wf.run("logical", "sync-schema", "shop");
            assertThat(refused.exitCode()).as(refused.all()).isEqualTo(5);
            assertThat(refused.err().strip().lines()).as(refused.err()).hasSize(1).first().asString()
                    .contains("column public.big.filler is character varying(200) on the source but text on the target")
                    .contains("walferry logical resync shop");
            assertThat(LogicalWorkload.queryLong(target, "select count(*) from information_schema.columns where table_name = 'items' "
                    + "and column_name = 'extra'")).isZero();
            assertThat(LogicalWorkload.tableExists(target, "notes")).isFalse();
            LogicalWorkload.execute(source, "alter table big alter column filler type text");

            // one sync-schema of a stream at a time
            try (Connection other = target.connect(LogicalWorkload.DATABASE); Statement st = other.createStatement()) {
                st.execute("select pg_advisory_lock(hashtext('walferry logical sync-schema shop'))");
                Result busy = wf.run("logical", "sync-schema", "shop");
                assertThat(busy.exitCode()).as(busy.all()).isEqualTo(5);
                assertThat(busy.err().strip().lines()).as(busy.err()).hasSize(1).first().asString()
                        .contains("another logical sync-schema of stream shop runs now");
            }
            side.awaitCommits(side.commits() + 100);
            Result synced = ok("logical", "sync-schema", "shop", "--output", "json");
            JsonNode done = new ObjectMapper().readTree(synced.out());
            assertThat(done.path("result").asText()).as(synced.out()).isEqualTo("synced");
            assertThat(done.path("publication_added").toString()).as("published already").isEqualTo("[]");
            assertThat(done.path("copied_at").asText()).isNotEmpty();
            run = run();
            side.awaitCommits(side.commits() + 200);
            workload.awaitCommits(workload.commits() + 100);
        } finally {
            side.stop();
        }
        workload.stop();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        Await.until(Duration.ofSeconds(60), "notes equal on the target", () -> LogicalWorkload.checksum(source, "notes")
                .equals(LogicalWorkload.checksum(target, "notes")));
        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.checksum(target, "notes")).isEqualTo(LogicalWorkload.checksum(source, "notes"));
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from items where extra like 'filled %'")).isPositive();
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from notes where hits > 0")).isPositive();
        Result again = ok("logical", "sync-schema", "shop");
        assertThat(again.out()).contains("nothing to do");
    }

    /**
     * One client writing the new table {@code notes} (an insert and an update of an earlier row per transaction), and
     * once asked, the new column {@code items.extra}.
     */
    private final class SideWriter {
        private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        private final java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        private final Thread thread;

        SideWriter(java.util.concurrent.atomic.AtomicBoolean fill) {
            thread = new Thread(() -> {
                try (Connection c = source.connect(LogicalWorkload.DATABASE); Statement s = c.createStatement()) {
                    for (long n = 1; !stop.get(); n++) {
                        s.execute("insert into notes values (" + n + ", 0, 'note " + n + "'); update notes set hits = hits + 1 where id = "
                                + (n / 2 + 1) + (fill.get() ? "; insert into items (name, extra) values ('side " + n + "', 'filled "
                                + n + "')" : ""));
                        commits.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "side-writer");
            thread.setDaemon(true);
            thread.start();
        }

        long commits() {
            if (failure.get() != null) {
                throw new AssertionError("the side writer failed", failure.get());
            }
            return commits.get();
        }

        void awaitCommits(long n) {
            Await.until(Duration.ofSeconds(120), n + " side commits", () -> commits() >= n);
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(60_000);
            commits();
        }
    }

    @Test
    void aSourceThatFailedOverStopsTheStreamUntilResync() throws Exception {
        ok("logical", "create", "shop");
        AgentProcess run = run();
        workload = LogicalWorkload.start(source, 2);
        workload.awaitCommits(100);
        PgCluster standby = PgCluster.baseBackup(source, dir, "standby", true);
        others.add(standby);
        standby.touch("standby.signal");
        standby.set("primary_conninfo", "host=127.0.0.1 port=" + source.port() + " user=postgres");
        standby.start();
        workload.awaitCommits(workload.commits() + 100);
        workload.stop();
        String last = source.queryString("select pg_current_wal_lsn()");
        Await.until(Duration.ofSeconds(60), "the standby to replay " + last, () -> standby.queryLong("select count(*) where "
                + "pg_last_wal_replay_lsn() >= '" + last + "'") == 1);

        // the primary is lost; its standby is promoted and the stream pointed at it
        run.kill9();
        source.crash();
        standby.execute("select pg_promote()");
        Await.until(Duration.ofSeconds(60), "promotion", () -> "f".equals(standby.queryString("select pg_is_in_recovery()")));
        wf.writeConfig(List.of(source, standby), null);
        wf.logical("""
                  - name: shop
                    source: {node: standby, database: shop}
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    copy_jobs: 2
                """.formatted(target.port()));
        AgentProcess stopped = wf.startProcess("", "logical", "run", "shop");
        processes.add(stopped);
        assertThat(stopped.awaitExit(Duration.ofSeconds(60))).isEqualTo(5);
        List<String> errors = stopped.log().lines().filter(l -> l.contains("slot walferry_shop")).toList();
        assertThat(errors).as(stopped.log()).hasSize(1);
        assertThat(errors.get(0)).contains("is not on the source (node standby").contains("failed over")
                .contains("walferry logical resync shop");

        Result again = ok("logical", "resync", "shop", "--output", "json");
        assertThat(new ObjectMapper().readTree(again.out()).path("result").asText()).isEqualTo("created again");
        AgentProcess resumed = run();
        workload = LogicalWorkload.start(standby, 2);
        workload.awaitCommits(100);
        workload.stop();
        LogicalWorkload.awaitEqual(standby, target, Duration.ofSeconds(120));
        resumed.stop();
        LogicalWorkload.assertEqual(standby, target);
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
                    io.walferry.testing.Pace.pause(Duration.ofMillis(5));
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

    @Test
    void aCutoverUnderWritesLosesNothingAndDropsTheSlot() throws Exception {
        LogicalWorkload.execute(source, "create trigger events_same before update on events for each row "
                + "execute function suppress_redundant_updates_trigger()");
        workload = LogicalWorkload.start(source, 3, true);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        assertThat(LogicalWorkload.queryString(target, "select tgenabled from pg_trigger where tgname = 'events_same'"))
                .as("a user trigger is off on the target while the stream applies").isEqualTo("D");
        AgentProcess run = run();
        workload.awaitCommits(workload.commits() + 300);

        JsonNode report = cutOverDroppingTheSlot(LogicalWorkload.TABLES.size());
        assertThat(report.path("sequences").asInt()).isPositive();

        // every write acknowledged before the cutover is on the target, and nothing was written on the source after it
        long acknowledged = workload.commits();
        Await.until(Duration.ofSeconds(60), "the workload to be refused", () -> workload.refused() > 0 && workload.commits() == acknowledged);
        workload.stop();
        assertThat(workload.commits()).isEqualTo(acknowledged);
        LogicalWorkload.assertEqual(source, target);
        assertThat(new java.math.BigDecimal(LogicalWorkload.accountsTotal(target)))
                .isGreaterThanOrEqualTo(new java.math.BigDecimal("1.25").multiply(java.math.BigDecimal.valueOf(acknowledged)));
        assertThat(LogicalWorkload.queryString(target, "select last_value from items_id_seq"))
                .isEqualTo(LogicalWorkload.queryString(source, "select last_value from items_id_seq"));
        assertThat(source.queryLong("select count(*) from pg_replication_slots")).isZero();
        assertThat(LogicalWorkload.queryLong(source, "select count(*) from pg_publication")).isZero();
        assertThat(LogicalWorkload.phase(target)).isEqualTo("CUT_OVER");
        assertThat(LogicalWorkload.queryString(target, "select tgenabled from pg_trigger where tgname = 'events_same'"))
                .as("and on again after the cutover").isEqualTo("O");
        // the process that applied the stream stops by itself
        Await.until(Duration.ofSeconds(60), "logical run to stop", () -> !run.isAlive());
    }

    /**
     * mode: subscription: an ordinary role on a PostgreSQL 15 target is refused; on a PostgreSQL 17 target a role that is
     * no superuser, a member of pg_create_subscription, owns the subscription (password_required: the source asks its
     * role for a password, which the stream's configuration holds).
     */
    @Test
    void aNativeSubscriptionStreamsUnderWritesAndCutsOverLeavingNothingBehind() throws Exception {
        subscriptionStream("{node: src, database: shop}");
        // an ordinary role on PostgreSQL 15 may not create a subscription: one line, and nothing made on the source
        Result refused = wf.run("logical", "create", "shop");
        assertThat(refused.exitCode()).isEqualTo(4);
        assertThat(refused.err().strip().lines()).as(refused.err()).hasSize(1).first().asString()
                .contains("role app may not create a subscription on the target").contains("ALTER ROLE app SUPERUSER");
        assertThat(source.queryLong("select count(*) from pg_replication_slots")).isZero();

        // on PostgreSQL 16 and later, pg_create_subscription
        target.close();
        target(PgCluster.init(dir, "dst17", 0, OtherMajors.postgres17()));
        subscriptionStream("{node: src, database: shop}");
        refused = wf.run("logical", "create", "shop");
        assertThat(refused.exitCode()).isEqualTo(4);
        assertThat(refused.err().strip().lines()).as(refused.err()).hasSize(1).first().asString()
                .contains("role app may not create a subscription on the target (PostgreSQL 17)")
                .contains("GRANT pg_create_subscription TO app");
        target.execute("grant pg_create_subscription to app");
        // the subscription's role on the source, with a password the source does not ask for yet: refused in one line
        // once the subscription connects (after the copy), nothing left holding the slot
        source.execute("create role repl login superuser password 'repl-secret'");
        Path password = wf.secretFile("repl.password", "repl-secret");
        subscriptionStream("{host: 127.0.0.1, port: %d, database: shop, user: repl, password: '${file:%s}'}".formatted(source.port(), password));
        refused = wf.run("logical", "create", "shop");
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(4);
        assertThat(refused.err().strip().lines()).as(refused.err()).hasSize(1).first().asString()
                .contains("did not ask the subscription's connection (role repl) for its password").contains("password_required")
                .contains("pg_hba.conf");
        assertThat(source.queryLong("select count(*) from pg_replication_slots")).isZero();
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from pg_subscription")).isZero();
        source.hba("""
                host    all             repl            127.0.0.1/32    scram-sha-256
                host    all             all             127.0.0.1/32    trust
                host    replication     all             127.0.0.1/32    trust
                """);
        source.execute("select pg_reload_conf()");

        workload = LogicalWorkload.start(source, 3, true);
        workload.awaitCommits(20);
        Result created = ok("logical", "create", "shop", "--output", "json");
        assertThat(new ObjectMapper().readTree(created.out()).path("subscription").asText()).isEqualTo("walferry_shop");
        // as the server's OS user, who owns the password file (a process of another user refuses it)
        Result run = wf.run("logical", "run", "shop");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("subscription walferry_shop on the target applies it");

        workload.awaitCommits(workload.commits() + 100);
        Await.until(Duration.ofSeconds(60), "logical status to show the subscription streaming", () -> {
            JsonNode st = statusAsServerUser();
            return st.path("running").asBoolean() && st.path("healthy").asBoolean()
                    && st.path("subscription").path("tables").path("ready").asInt() == LogicalWorkload.TABLES.size();
        });
        JsonNode st = statusAsServerUser();
        assertThat(st.path("phase").asText()).isEqualTo("streaming");
        assertThat(st.path("slot_lag_bytes").isNumber()).as(st.toString()).isTrue();
        assertThat(st.path("apply_lag_seconds").isNumber()).as(st.toString()).isTrue();
        assertThat(st.path("subscription").path("apply_errors").asLong()).as(st.toString()).isZero();
        JsonNode all = new ObjectMapper().readTree(wf.run("status", "--output", "json").out());
        assertThat(all.findValues("subscription")).as(all.toString()).hasSize(1).first()
                .satisfies(sub -> assertThat(sub.path("worker_pid").isNumber()).isTrue());
        // the balances only grow: the target reaching the source's total of now means the writes since the create arrived
        java.math.BigDecimal total = new java.math.BigDecimal(LogicalWorkload.accountsTotal(source));
        Await.until(Duration.ofSeconds(60), "rows written after the create to arrive", () ->
                new java.math.BigDecimal(LogicalWorkload.accountsTotal(target)).compareTo(total) >= 0);

        // sync-schema: a new table's schema made on the target, published, and the subscription refreshed copies its data
        LogicalWorkload.execute(source, "create table notes (id bigint primary key, body text); "
                + "insert into notes select g, 'n' || g from generate_series(1, 100) g");
        Result synced = wf.run("logical", "sync-schema", "shop", "--output", "json");
        assertThat(synced.exitCode()).as(synced.all()).isZero();
        assertThat(new ObjectMapper().readTree(synced.out()).path("publication_added").toString()).isEqualTo("[\"public.notes\"]");
        LogicalWorkload.execute(source, "insert into notes values (101, 'after'); update notes set body = 'changed' where id = 1");
        Await.until(Duration.ofSeconds(90), "the subscription to copy notes and stream on", () ->
                LogicalWorkload.checksum(source, "notes").equals(LogicalWorkload.checksum(target, "notes"))
                        && statusAsServerUser().path("subscription").path("tables").path("ready").asInt() == LogicalWorkload.TABLES.size() + 1);

        cutOverDroppingTheSlot(LogicalWorkload.TABLES.size() + 1);
        long acknowledged = workload.commits();
        Await.until(Duration.ofSeconds(60), "the workload to be refused", () -> workload.refused() > 0 && workload.commits() == acknowledged);
        workload.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from pg_subscription")).isZero();
        assertThat(source.queryLong("select count(*) from pg_replication_slots")).isZero();
        assertThat(LogicalWorkload.queryLong(source, "select count(*) from pg_publication")).isZero();
        assertThat(LogicalWorkload.phase(target)).isEqualTo("CUT_OVER");
    }

    @Test
    void aCutoverReportsMismatchesTableByTableAndDropsNothing() throws Exception {
        LogicalWorkload.execute(source, "insert into big values (1, 'a')");
        workload = LogicalWorkload.start(source, 2);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        workload.awaitCommits(workload.commits() + 100);
        workload.stop();
        // the target changed behind the stream's back, in rows the workload never touches
        LogicalWorkload.execute(target, "update big set filler = 'b' where id = 1; insert into accounts values (1000, 0)");

        // nobody applies the stream: cutover does, then compares
        Result r = wf.run("logical", "cutover", "shop", "--grace", "0", "--drop-slot", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        JsonNode report = new ObjectMapper().readTree(r.out());
        assertThat(report.path("result").asText()).isEqualTo("mismatch");
        assertThat(report.path("slot_dropped").asBoolean()).isFalse();
        java.util.Map<String, String> problems = new java.util.TreeMap<>();
        report.path("tables").forEach(t -> {
            if (!t.path("equal").asBoolean()) {
                problems.put(t.path("table").asText(), t.path("problem").asText());
            }
        });
        assertThat(problems).containsOnlyKeys("\"public\".\"accounts\"", "\"public\".\"big\"");
        assertThat(problems.get("\"public\".\"accounts\"")).contains("1 more");
        assertThat(problems.get("\"public\".\"big\"")).contains("contents differ");
        assertThat(source.queryLong("select count(*) from pg_replication_slots where slot_name = 'walferry_shop'")).isOne();
        assertThat(LogicalWorkload.queryLong(source, "select count(*) from pg_publication")).isOne();
        assertThat(LogicalWorkload.phase(target)).isEqualTo("STREAMING");
        // everything else was applied before the comparison
        LogicalWorkload.execute(target, "update big set filler = 'a' where id = 1; delete from accounts where id = 1000");
        LogicalWorkload.assertEqual(source, target);
    }

    /**
     * A backlog applied in groups of many source transactions: changes of one row in one batch (insert, update, key
     * change, delete, insert again), a table without a key, a TRUNCATE between updates, thousands of one-row
     * transactions; the applying process is killed while a group is half sent (held on a lock on the target). Adds
     * about 45 s on a loaded machine.
     */
    @Test
    void aBacklogAppliedInGroupsKeepsOrderAndSurvivesAKillInTheMiddleOfAGroup() throws Exception {
        LogicalWorkload.execute(source, "insert into big select g, 'old' from generate_series(1, 100) g");
        LogicalWorkload.execute(source, "create table typed (id int primary key, n numeric, j jsonb, b bytea, ts timestamptz, t text, "
                + "bx box, c \"char\", big text); " + TYPED_ROWS.formatted(1, 50) + "; create table guarded (id int primary key)");
        ok("logical", "create", "shop");
        // COPY FROM refuses a table under row-level security: its inserts go as INSERT statements
        LogicalWorkload.execute(target, "alter table guarded enable row level security; alter table guarded force row level security; "
                + "create policy everything on guarded using (true) with check (true)");
        LogicalWorkload.execute(source, "insert into guarded select generate_series(1, 20)");
        // many rows of one table and shape in one transaction: inserted, and updated (several times, to NULL, around
        // TOASTed values left unchanged) as runs of one statement each; one moves its key
        LogicalWorkload.execute(source, "begin; " + TYPED_ROWS.formatted(51, 400) + "; "
                + "update typed set n = n * 2 + 0.5, j = j || '{\"x\": \"\\\\u00e9 \\\"\"}', b = b || '\\x5c22'::bytea, "
                + "ts = ts + interval '1 hour 1 microsecond', t = t || ' \"upd\" \\', bx = box(point(id, 1), point(0, 0)) where big is null; "
                + "update typed set n = null, t = 'toast kept ' || id, c = 'z' where big is not null; "
                + "update typed set t = null, ts = null where id between 60 and 90; "
                + "update typed set n = 1e-20, t = 'twice ' || id where id between 70 and 120; "
                + "update typed set id = id + 1000 where id = 5; delete from typed where id between 200 and 210; commit");
        LogicalWorkload.execute(source, """
                insert into events values (1, 'a');
                update events set msg = 'b' where id = 1;
                update events set id = 2 where id = 1;
                delete from events where id = 2;
                insert into events values (2, 'c'), (3, 'd');
                update events set msg = msg || '!' where id = 3;
                insert into ledger values (1, 1, clock_timestamp()), (1, 2, clock_timestamp());
                update ledger set amount = 3 where amount = 2;
                delete from ledger where amount = 1;
                """);
        LogicalWorkload.execute(source, "do $$ begin for i in 1..3000 loop update accounts set balance = balance + 1 where id = i % 300 + 1; "
                + "insert into ledger values (i % 300 + 1, 1, clock_timestamp()); commit; end loop; end $$");
        LogicalWorkload.execute(source, "begin; update big set filler = 'gone' where id = 1; truncate big; "
                + "insert into big values (1, 'new'), (2, 'new'); update big set filler = 'newer' where id = 2; commit");
        LogicalWorkload.execute(source, "do $$ begin for i in 1..3000 loop update accounts set balance = balance + 1 where id = i % 300 + 1; "
                + "commit; end loop; end $$");

        // the changes to big wait for a lock on the target: the group that holds them is half sent when run is killed
        AgentProcess run;
        try (Connection c = target.connect(LogicalWorkload.DATABASE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("lock table public.big in access exclusive mode");
            run = run();
            AgentProcess applying = run;
            Await.until(Duration.ofSeconds(60), "the applier to wait for the lock on big", () -> {
                assertThat(applying.isAlive()).as(applying.log()).isTrue();
                return LogicalWorkload.queryLong(target, "select count(*) from pg_stat_activity where usename = 'app' and wait_event_type = 'Lock'") > 0;
            });
            run.kill9();
            c.rollback();
        }
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from big")).as("the truncate is not applied yet").isEqualTo(100);
        run = run();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.accountsTotal(target)).isEqualTo(LogicalWorkload.accountsTotal(source)).isEqualTo("6000.00");
        assertThat(LogicalWorkload.queryString(target, "select string_agg(id || msg, ',' order by id) from events")).isEqualTo("2c,3d!");
        assertThat(LogicalWorkload.queryString(target, "select string_agg(id || filler, ',' order by id) from big")).isEqualTo("1new,2newer");
        assertThat(typedRows(target)).isEqualTo(typedRows(source)).contains("389 rows");
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from guarded")).isEqualTo(20);

        // a row gone from the target stops the stream at the run of updates (one statement) that should change it
        LogicalWorkload.execute(target, "delete from typed where id = 301");
        LogicalWorkload.execute(source, "update typed set t = 'is it there?' where id between 290 and 340 and big is null");
        AgentProcess stopped = run();
        assertThat(stopped.awaitExit(Duration.ofSeconds(60))).as(stopped.log()).isEqualTo(5);
        assertThat(stopped.log()).contains("no row on the target matches update \"public\".\"typed\"", "the target differs from the source");
        assertThat(LogicalWorkload.queryLong(target, "select count(*) from typed where t = 'is it there?'")).as("nothing of it applied").isZero();
    }

    /** Rows {@code %d} to {@code %d} of table typed: numbers, JSON, bytes, times, text with what needs quoting, NULLs, TOASTed values. */
    private static final String TYPED_ROWS = """
            insert into typed select g, case g %% 5 when 0 then null when 1 then 'NaN' else 12345678901234567890.123456789 * g end,
              jsonb_build_object('s', 'q"\\' || g, 'u', 'ü', 'a', jsonb_build_array(g, null, true)),
              decode(md5(g::text) || '00225c7b2c7d', 'hex'),
              case g %% 4 when 0 then 'infinity' when 1 then null else timestamptz '2020-02-29 23:59:59.999999+05:30' + g * interval '1 day 1 microsecond' end,
              case g %% 8 when 0 then null when 1 then 'quote " and \\ backslash' when 2 then E'tab\\t newline\\n cr\\r' when 3 then '{a,b}'
                when 4 then 'NULL' when 5 then '' when 6 then '(1,2);(3,4)' else 'ü ✓ ß ' || g end,
              box(point(g, g), point(-g, 0.5)), chr(65 + g %% 26),
              case when g %% 3 = 0 then (select string_agg(md5(x::text || g), '') from generate_series(1, 300) x) end
            from generate_series(%d, %d) g""";

    /** Table typed's rows as text, in key order, and how many. */
    private static String typedRows(PgCluster pg) throws SQLException {
        try (Connection c = pg.connect(LogicalWorkload.DATABASE); Statement s = c.createStatement()) {
            s.execute("set timezone = 'UTC'");
            s.execute("set extra_float_digits = 3");
            try (var r = s.executeQuery("select count(*) || ' rows ' || md5(string_agg(x::text, '|' order by id)) from typed x")) {
                r.next();
                return r.getString(1);
            }
        }
    }

    /**
     * Asynchronous commit on the target (apply_commit's default): the target's server is killed (kill -9 of the
     * postmaster and every child) while commits the stream applied are visible there but their WAL is not even written:
     * the target's WAL writer is held still (SIGSTOP) before a burst of writes, nothing else on the target writes WAL but
     * the applying session's commits that wait for the disk, and the applying process is held still between two groups
     * at the moment of the kill. The crash loses those commits and the positions stored with them (asserted); the slot
     * was not told of them, so the stream resumes from the target's position and every source transaction is on the
     * target exactly once (a confirmation before the target's flush would leave them missing).
     */
    @Test
    void aTargetCrashUnderAsynchronousCommitLosesAppliedCommitsAndTheStreamLosesNothingAndAppliesNothingTwice() throws Exception {
        // no WAL on the target but the applying session's: no autovacuum, no standby snapshots, no background writer
        // (which flushes WAL before it writes a page), no timed checkpoint, room in shared_buffers and wal_buffers
        target.set("autovacuum", "off");
        target.set("wal_level", "minimal");
        target.set("max_wal_senders", "0");
        target.set("bgwriter_lru_maxpages", "0");
        target.set("checkpoint_timeout", "1h");
        target.set("shared_buffers", "128MB");
        target.set("wal_buffers", "16MB");
        target.restart();
        workload = LogicalWorkload.start(source, 3);
        workload.awaitCommits(50);
        ok("logical", "create", "shop");
        LogicalWorkload.execute(target, "create extension pageinspect");
        AgentProcess run = run();
        long pid = run.jvm().orElseThrow().pid();
        Await.until(Duration.ofSeconds(60), "changes applied on the target", () -> LogicalWorkload.transactionsApplied(target) > 0);
        long walWriter = target.queryLong("select pid from pg_stat_activity where backend_type = 'walwriter'");
        String applied = null;
        try {
            signal("STOP", walWriter);
            workload.awaitCommits(workload.commits() + 200);
            // The applying process held still between groups, and the last change to the stream's row (the position its
            // group's commit stored) not written: its page's LSN is past the WAL written. The pages are read raw, so
            // that no read of the row prunes its page (which would write WAL of its own).
            String unwritten = "select (select max((page_header(get_raw_page('walferry.logical_stream', b::int))).lsn) from "
                    + "generate_series(0, pg_relation_size('walferry.logical_stream') / 8192 - 1) b) > pg_current_wal_lsn() "
                    + "and not exists (select from pg_stat_activity where usename = 'app' and state <> 'idle')";
            Await.until(Duration.ofSeconds(120), "applied commits the target has not written", () -> {
                signal("STOP", pid);
                if ("t".equals(LogicalWorkload.queryString(target, unwritten))) {
                    return true;
                }
                signal("CONT", pid);
                workload.awaitCommits(workload.commits() + 20);
                return false;
            });
            applied = LogicalWorkload.queryString(target, "select applied_lsn::text from walferry.logical_stream");
            target.crash();
            target.start();
            assertThat(LogicalWorkload.queryString(target, "select applied_lsn::text from walferry.logical_stream"))
                    .as("the position stored with the commits the crash lost").isNotEqualTo(applied);
            assertThat(LogicalWorkload.queryString(target, "select applied_lsn < '" + applied + "' from walferry.logical_stream")).isEqualTo("t");
        } finally {
            signal("CONT", pid);
            if (applied == null) {
                new ProcessBuilder("kill", "-CONT", Long.toString(walWriter)).inheritIO().start().waitFor();
            }
        }
        workload.awaitCommits(workload.commits() + 200);
        workload.stop();
        LogicalWorkload.awaitEqual(source, target, Duration.ofSeconds(120));
        run.stop();
        LogicalWorkload.assertEqual(source, target);
        assertThat(LogicalWorkload.accountsTotal(target)).isEqualTo(LogicalWorkload.accountsTotal(source));
    }

    /** Sends a signal to the JVM; SIGCONT also to runuser above it, which stops itself when its child stops. */
    private static void signal(String signal, long pid) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal, Long.toString(pid)));
        if (signal.equals("CONT")) {
            ProcessHandle.of(pid).flatMap(ProcessHandle::parent).ifPresent(p -> command.add(Long.toString(p.pid())));
        }
        assertThat(new ProcessBuilder(command).inheritIO().start().waitFor()).isZero();
    }

    private void subscriptionStream(String sourceYaml) {
        wf.logical("""
                  - name: shop
                    source: %s
                    target: {host: 127.0.0.1, port: %d, database: shop, user: app}
                    mode: subscription
                    copy_jobs: 2
                """.formatted(sourceYaml, target.port()));
    }

    /** A cutover under writes with --drop-slot that succeeds: every table equal, the slot dropped. */
    private JsonNode cutOverDroppingTheSlot(int tables) throws Exception {
        Result r = wf.run("logical", "cutover", "shop", "--grace", "2", "--drop-slot", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode report = new ObjectMapper().readTree(r.out());
        assertThat(report.path("result").asText()).isEqualTo("cut over");
        assertThat(report.path("slot_dropped").asBoolean()).isTrue();
        assertThat(report.path("tables").findValuesAsText("equal")).hasSize(tables).containsOnly("true");
        return report;
    }

    private JsonNode status() throws Exception {
        return new ObjectMapper().readTree(wf.inProcess("logical", "status", "shop", "--output", "json").out());
    }

    private JsonNode statusAsServerUser() throws Exception {
        return new ObjectMapper().readTree(wf.run("logical", "status", "shop", "--output", "json").out());
    }

    private void awaitConfirmedAtLeast(String lsn) {
        Await.until(Duration.ofSeconds(60), "the slot confirmed up to " + lsn, () -> source.queryLong("select count(*) from "
                + "pg_replication_slots where slot_name = 'walferry_shop' and confirmed_flush_lsn >= '" + lsn + "'") == 1);
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
