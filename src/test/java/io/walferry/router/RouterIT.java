package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.walferry.testing.Await;
import io.walferry.testing.Pace;
import io.walferry.testing.EtcdServer;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The router in front of a real primary and a streaming replica: pgbench through rw in both pool modes, prepared
 * statements in transaction mode on more than one server connection, where each endpoint's queries actually run, a
 * replica paused by pg_wal_replay_pause() taken out by its lag and put back, cancel requests, SCRAM clients, and
 * malformed or oversized start-up packets refused without harm to other clients.
 */
@ExtendWith(PgLogOnFailure.class)
class RouterIT {
    private static final Path PGBENCH = Path.of(PgCluster.DEFAULT_BIN, "pgbench");

    private Path dir;
    private PgCluster primary;
    private PgCluster replica;
    private final List<Router> routers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = TempDirs.create("wf-router-");
        primary = PgCluster.init(dir, "pg1");
        primary.set("wal_keep_size", "256MB");
        primary.start();
        replica = PgCluster.baseBackup(primary, dir, "pg2", true);
        replica.touch("standby.signal");
        replica.set("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=postgres");
        replica.start();
        primary.execute("create table t (id int primary key, note text)");
        primary.execute("insert into t select g, 'row ' || g from generate_series(1, 100) g");
        Await.until(Duration.ofSeconds(60), "the replica to stream", () ->
                "t".equals(replica.queryString("select count(*) = 100 from t")));
    }

    @AfterEach
    void tearDown() {
        routers.forEach(Router::close);
        for (PgCluster c : new PgCluster[]{replica, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts a router with the given router: keys (indented two spaces); returns it. */
    private Router router(String routerYaml) throws IOException {
        return router(routerYaml, "");
    }

    /** As {@link #router(String)}, with more top-level sections ({@code ha:}). */
    private Router router(String routerYaml, String more) throws IOException {
        Router r = Router.start(new ConfigLoader(Map.of()).load(config(routerYaml, more)));
        routers.add(r);
        return r;
    }

    /** A configuration of the two nodes with these router: keys and more top-level sections. */
    private Path config(String routerYaml, String more) throws IOException {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        String yaml = "cluster: test\nnodes:\n"
                + "  - name: pg1\n    port: " + primary.port() + "\n    data_directory: " + primary.dataDir() + "\n"
                + "  - name: pg2\n    port: " + replica.port() + "\n    data_directory: " + replica.dataDir() + "\n"
                + "repositories:\n  - name: local\n    type: fs\n    path: " + repo + "\n"
                + more + "router:\n" + routerYaml
                // another test's router may run at the same time: no fixed metrics port
                + (routerYaml.contains("metrics_port:") ? "" : "  metrics_port: 0\n");
        Path config = Files.createTempFile(dir, "walferry-", ".yaml");
        Files.writeString(config, yaml);
        return config;
    }

    /** rw and ro endpoints; a session pool as large as pgbench's clients, a transaction pool half as large. */
    private static String endpoints(int rw, String rwMode, int ro, String roMode) {
        return "  auth: trust\n  max_lag_bytes: 1MiB\n  max_lag_time: 3s\n  endpoints:\n"
                + "    rw: { port: " + rw + ", pool_mode: " + rwMode + ", pool_size: " + (rwMode.equals("session") ? 10 : 4) + " }\n"
                + "    ro: { port: " + ro + ", pool_mode: " + roMode + ", pool_size: " + (roMode.equals("session") ? 10 : 4) + " }\n";
    }

    private static Connection connect(int port, Properties extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "10");
        p.putAll(extra);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    private static Connection connect(int port) throws SQLException {
        return connect(port, new Properties());
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    private static WalferryFixture.Result pgbench(int port, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        if (env.isEmpty()) {
            return WalferryFixture.exec(cmd, Path.of("/tmp"), Duration.ofMinutes(3));
        }
        List<String> withEnv = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> withEnv.add(k + "=" + v));
        withEnv.addAll(cmd);
        return WalferryFixture.exec(withEnv, Path.of("/tmp"), Duration.ofMinutes(3));
    }

    /** On another thread: a new client of {@code port} asks which server port it runs on. */
    private static CompletableFuture<String> serverPortOfNewClient(int port, java.util.concurrent.Executor threads) {
        return CompletableFuture.supplyAsync(() -> {
            try (Connection c = connect(port)) {
                return one(c, "select inet_server_port()");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    private void awaitPrimary(int rw) {
        Await.until(Duration.ofSeconds(30), "the router to find the primary", () -> {
            try (Connection c = connect(rw)) {
                return one(c, "select pg_is_in_recovery()").equals("f");
            }
        });
    }

    @Test
    void pgbenchThroughRwInBothPoolModesAndEachEndpointRunsWhereItShould() throws Exception {
        int rwSession = freePort();
        int roSession = freePort();
        int rwTx = freePort();
        int roTx = freePort();
        router(endpoints(rwSession, "session", roSession, "session"));
        router(endpoints(rwTx, "transaction", roTx, "transaction"));
        awaitPrimary(rwSession);
        awaitPrimary(rwTx);

        WalferryFixture.Result init = pgbench(rwSession, Map.of(), "-i", "-s", "1", "-q");
        assertThat(init.exitCode()).as(init.all()).isZero();
        for (int port : new int[]{rwTx, rwSession}) {
            for (String mode : new String[]{"prepared", "simple", "extended"}) {
                // a thread per client: pgbench prepares synchronously, so a thread of several clients waiting for a server
                // for one of them would hold up the others, whose servers wait for them
                WalferryFixture.Result r = pgbench(port, Map.of(), "-c", "8", "-j", "8", "-t", "50", "-M", mode, "-n");
                assertThat(r.exitCode()).as(port + " " + mode + ": " + r.all()).isZero();
                assertThat(r.out()).contains("number of transactions actually processed: 400/400").contains("number of failed transactions: 0");
            }
        }
        assertThat(primary.queryLong("select sum(delta) from pgbench_history")).isNotNull();
        assertThat(primary.queryLong("select count(*) from pgbench_history")).isEqualTo(2400);

        for (int port : new int[]{rwSession, rwTx}) {
            try (Connection c = connect(port)) {
                assertThat(one(c, "select inet_server_port()")).as("rw runs on the primary").isEqualTo(String.valueOf(primary.port()));
            }
        }
        for (int port : new int[]{roSession, roTx}) {
            Await.until(Duration.ofSeconds(30), "ro to use the replica", () -> {
                try (Connection c = connect(port)) {
                    return one(c, "select inet_server_port()").equals(String.valueOf(replica.port()));
                }
            });
            try (Connection c = connect(port)) {
                assertThat(one(c, "select pg_is_in_recovery()")).isEqualTo("t");
                assertThatThrownBy(() -> one(c, "insert into t values (1000, 'x') returning id")).isInstanceOf(SQLException.class)
                        .hasMessageContaining("read-only transaction");
            }
        }
    }

    @Test
    void namedPreparedStatementsWorkInTransactionModeAcrossServerConnections() throws Exception {
        int rw = freePort();
        Router r = router(endpoints(rw, "transaction", freePort(), "transaction").replace("pool_size: 4", "pool_size: 2"));
        awaitPrimary(rw);
        Properties named = new Properties();
        named.setProperty("prepareThreshold", "1"); // named server-side statements from the first execution
        try (Connection a = connect(rw, named); Connection holder = connect(rw)) {
            // each execution its own transaction, committed: pgjdbc would quietly prepare again a statement the server
            // lacks in autocommit mode, which would hide the router failing to
            a.setAutoCommit(false);
            PreparedStatement ps = a.prepareStatement("select note, pg_backend_pid() from t where id = ?");
            List<Integer> pids = rowsAndPids(ps, 1, 3);
            // another client holds the server connection a's statement was prepared on, in a transaction
            holder.setAutoCommit(false);
            int held = Integer.parseInt(one(holder, "select pg_backend_pid()"));
            assertThat(pids).as("the held connection is the one the statement was prepared on").containsOnly(held);
            assertThat(rowsAndPids(ps, 4, 8)).as("every execution while it was held ran elsewhere, prepared again there")
                    .doesNotContain(held);
            assertThat(r.stats().pools()).as("no server answered with an error (that pgjdbc would have healed)")
                    .extracting(RouterStats.Pool::errors).containsOnly(0L);
            holder.rollback();
            // a statement closed and prepared again, and a transaction of several statements
            ps.close();
            PreparedStatement upd = a.prepareStatement("update t set note = ? where id = ?");
            for (int i = 1; i <= 5; i++) {
                upd.setString(1, "changed " + i);
                upd.setInt(2, i);
                assertThat(upd.executeUpdate()).isEqualTo(1);
            }
            a.commit();
            assertThat(primary.queryLong("select count(*) from t where note like 'changed %'")).isEqualTo(5);
            // an error inside a transaction, then the statement again after rollback
            assertThatThrownBy(() -> one(a, "select 1/0")).isInstanceOf(SQLException.class).hasMessageContaining("division by zero");
            a.rollback();
            upd.setString(1, "again");
            upd.setInt(2, 1);
            assertThat(upd.executeUpdate()).isEqualTo(1);
            a.commit();
        }
    }

    /** Runs {@code ps} (select note, pg_backend_pid() where id = ?) for ids from..to, checks each row; the server pids. */
    private static List<Integer> rowsAndPids(PreparedStatement ps, int from, int to) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            ps.setInt(1, i);
            try (ResultSet r = ps.executeQuery()) {
                r.next();
                assertThat(r.getString(1)).isEqualTo("row " + i);
                pids.add(r.getInt(2));
            }
            ps.getConnection().commit();
        }
        return pids;
    }

    @Test
    void aPausedReplicaIsExcludedByItsLagAndReadmittedWhenItCatchesUp() throws Exception {
        int ro = freePort();
        int roSession = freePort();
        router(endpoints(freePort(), "transaction", ro, "transaction"));
        router(endpoints(freePort(), "session", roSession, "session"));
        String replicaPort = String.valueOf(replica.port());
        String primaryPort = String.valueOf(primary.port());
        for (int port : new int[]{ro, roSession}) {
            Await.until(Duration.ofSeconds(30), "ro to use the replica", () -> {
                try (Connection c = connect(port)) {
                    return one(c, "select inet_server_port()").equals(replicaPort);
                }
            });
        }
        try (Connection c = connect(ro); Connection session = connect(roSession)) {
            assertThat(one(session, "select inet_server_port()")).isEqualTo(replicaPort);
            replica.execute("select pg_wal_replay_pause()");
            primary.execute("insert into t select g, repeat('x', 500) from generate_series(1000, 6000) g");
            Await.until(Duration.ofSeconds(30), "the paused replica to be excluded", () ->
                    one(c, "select inet_server_port()").equals(primaryPort));
            assertThat(one(c, "select count(*) from t")).as("reads fall back to the primary, which has the rows").isEqualTo("5101");
            Await.until(Duration.ofSeconds(10), "the session on the excluded replica to end", () -> {
                try {
                    one(session, "select 1");
                    return false;
                } catch (SQLException e) {
                    return true;
                }
            });
            try (Connection again = connect(roSession)) {
                assertThat(one(again, "select count(*) from t")).isEqualTo("5101");
            }
            replica.execute("select pg_wal_replay_resume()");
            Await.until(Duration.ofSeconds(30), "the replica to be readmitted", () ->
                    one(c, "select inet_server_port()").equals(replicaPort));
            // readmitted once within max_lag, which may be before it replays the insert's commit: it gets there
            Await.until(Duration.ofSeconds(30), "the readmitted replica to serve the inserted rows", () ->
                    one(c, "select inet_server_port() || ':' || count(*) from t").equals(replicaPort + ":5101"));
        }
    }

    @Test
    void rwFollowsANewPrimaryClosesTheOldOnesConnectionsAndNewClientsWaitMeanwhile() throws Exception {
        int tx = freePort();
        int session = freePort();
        Router txRouter = router(endpoints(tx, "transaction", freePort(), "transaction"));
        router(endpoints(session, "session", freePort(), "session"));
        awaitPrimary(tx);
        awaitPrimary(session);
        String oldPort = String.valueOf(primary.port());
        String newPort = String.valueOf(replica.port());
        try (Connection a = connect(tx); Connection b = connect(session);
             var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            assertThat(one(a, "select inet_server_port()")).isEqualTo(oldPort);
            assertThat(one(b, "select inet_server_port()")).isEqualTo(oldPort);

            // the replica is promoted while the old primary still takes writes: the router trusts neither
            replica.execute("select pg_promote()");
            Await.until(Duration.ofSeconds(10), "the router to close its connections to the old primary", () ->
                    primary.queryLong("select count(*) from pg_stat_activity where application_name = 'walferry-router'") == 0);
            // each router's watcher sees the change on its own check (every 250 ms): the session's end is awaited
            Await.until(Duration.ofSeconds(10), "the session on the old primary to end", () -> {
                try {
                    one(b, "select 1");
                    return false;
                } catch (SQLException e) {
                    return true;
                }
            });

            // a new client meanwhile waits instead of failing
            CompletableFuture<String> waiting = serverPortOfNewClient(tx, threads);
            CompletableFuture<String> nextTransaction = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(a, "select inet_server_port()");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            Await.until(Duration.ofSeconds(10), "both clients to wait for a primary", () -> {
                return txRouter.stats().waitingForPrimary() == 2;
            });
            assertThat(txRouter.stats().primary()).isEmpty();
            assertThat(waiting).isNotDone();
            assertThat(nextTransaction).isNotDone();

            primary.stop();
            long stopped = System.nanoTime();
            assertThat(waiting.get(20, TimeUnit.SECONDS)).as("the waiting client's first query runs on the new primary").isEqualTo(newPort);
            Duration followed = Duration.ofNanos(System.nanoTime() - stopped);
            assertThat(nextTransaction.get(20, TimeUnit.SECONDS)).as("a transaction-mode client goes on, on the new primary")
                    .isEqualTo(newPort);
            assertThat(followed).as("the new primary is followed within a second of the old one stopping").isLessThan(Duration.ofMillis(1500));
            try (Connection c = connect(session)) {
                assertThat(one(c, "select pg_is_in_recovery()")).isEqualTo("f");
                assertThat(one(c, "select inet_server_port()")).isEqualTo(newPort);
            }
        }
    }

    @Test
    void withHaTheLeaderKeyNamesThePrimaryAndAChangeIsFollowedAtOnce() throws Exception {
        try (EtcdServer etcd = EtcdServer.start(dir.resolve("etcd"), 1);
             Client kv = Client.builder().endpoints(etcd.endpoints().split(",")).build();
             var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            ByteSequence leaderKey = ByteSequence.from("/walferry/test/leader", StandardCharsets.UTF_8);
            kv.getKVClient().put(leaderKey, ByteSequence.from("pg1", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            int rw = freePort();
            Router r = router(endpoints(rw, "transaction", freePort(), "transaction"), "ha:\n  etcd:\n    endpoints: " + etcd.endpoints() + "\n");
            awaitPrimary(rw);

            // the key moves to pg2 before pg2 is promoted: pg1 still takes writes, but it is no longer the primary
            kv.getKVClient().put(leaderKey, ByteSequence.from("pg2", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(5), "the router to drop pg1", () -> r.stats().primary().isEmpty());
            CompletableFuture<String> waiting = serverPortOfNewClient(rw, threads);
            Await.until(Duration.ofSeconds(10), "the client to wait for a primary", () -> r.stats().waitingForPrimary() == 1);
            replica.execute("select pg_promote()");
            long promoted = System.nanoTime();
            assertThat(waiting.get(20, TimeUnit.SECONDS)).isEqualTo(String.valueOf(replica.port()));
            assertThat(Duration.ofNanos(System.nanoTime() - promoted)).isLessThan(Duration.ofMillis(1500));
            assertThat(r.stats().primary()).contains("pg2");
        }
    }

    @Test
    void theRouterCommandServesUntilItIsStopped() throws Exception {
        int rw = freePort();
        Path config = config(endpoints(rw, "transaction", freePort(), "transaction"), "");
        Path log = dir.resolve("router.log");
        Process p = new ProcessBuilder(WalferryFixture.launcher().toString(), "-c", config.toString(), "router")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Await.until(Duration.ofSeconds(60), "walferry router to serve rw", () -> {
                try (Connection c = connect(rw)) {
                    return one(c, "select pg_is_in_recovery()").equals("f");
                }
            });
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the router stops on SIGTERM").isTrue();
            assertThat(Files.readString(log)).contains("router: rw endpoint listening on 127.0.0.1:" + rw)
                    .contains("router: primary is now pg1");
            assertThatThrownBy(() -> connect(rw)).isInstanceOf(SQLException.class);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void cancelRequestsReachTheServerOfTheSession() throws Exception {
        int rw = freePort();
        router(endpoints(rw, "transaction", freePort(), "session"));
        awaitPrimary(rw);
        try (Connection c = connect(rw); Statement s = c.createStatement()) {
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> {
                try {
                    s.cancel();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            assertThatThrownBy(() -> s.executeQuery("select pg_sleep(60)")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("canceling statement due to user request");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            assertThat(one(c, "select 1")).as("the session goes on").isEqualTo("1");
        }
    }

    @Test
    void scramClientsAreCheckedAgainstTheUsersFile() throws Exception {
        primary.execute("create role app login password 'app-secret'");
        String verifier = primary.queryString("select rolpassword from pg_authid where rolname = 'app'");
        Path users = dir.resolve("users.txt");
        Files.writeString(users, "\"app\" \"" + verifier + "\"\n\"postgres\" \"pg-secret\"\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        int rw = freePort();
        router(endpoints(rw, "transaction", freePort(), "session").replace("auth: trust", "auth: scram\n  users_file: " + users));
        Properties good = new Properties();
        good.setProperty("user", "app");
        good.setProperty("password", "app-secret");
        Await.until(Duration.ofSeconds(30), "app to log in through the router", () -> {
            try (Connection c = connect(rw, good)) {
                return one(c, "select current_user").equals("app");
            }
        });
        Properties bad = new Properties();
        bad.setProperty("user", "app");
        bad.setProperty("password", "wrong");
        assertThatThrownBy(() -> connect(rw, bad)).isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
        Properties unknown = new Properties();
        unknown.setProperty("user", "nobody");
        unknown.setProperty("password", "x");
        assertThatThrownBy(() -> connect(rw, unknown)).isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
        WalferryFixture.Result init = pgbench(rw, Map.of("PGPASSWORD", "pg-secret"), "-i", "-s", "1", "-q");
        assertThat(init.exitCode()).as(init.all()).isZero();
        WalferryFixture.Result r = pgbench(rw, Map.of("PGPASSWORD", "pg-secret"), "-c", "2", "-t", "10", "-S", "-n");
        assertThat(r.exitCode()).as(r.all()).isZero();
        WalferryFixture.Result wrong = pgbench(rw, Map.of("PGPASSWORD", "nope"), "-c", "1", "-t", "1", "-S", "-n");
        assertThat(wrong.exitCode()).as(wrong.all()).isNotZero();
        assertThat(wrong.all()).contains("password authentication failed for user \"postgres\"");
    }

    @Test
    void theRouterLogsInToServersThatAskForScramOrMd5() throws Exception {
        primary.execute("create role app login password 'app-secret'");
        primary.execute("set password_encryption = 'md5'; create role old login password 'old-secret'");
        primary.hba("host all app 127.0.0.1/32 scram-sha-256\nhost all old 127.0.0.1/32 md5\n"
                + "host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n");
        primary.execute("select pg_reload_conf()");
        String verifier = primary.queryString("select rolpassword from pg_authid where rolname = 'app'");
        Path users = dir.resolve("users.txt");
        Files.writeString(users, "\"app\" \"" + verifier + "\"\n\"old\" \"old-secret\"\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        int rw = freePort();
        router(endpoints(rw, "transaction", freePort(), "session").replace("auth: trust", "auth: scram\n  users_file: " + users));
        for (String[] u : new String[][]{{"app", "app-secret"}, {"old", "old-secret"}}) {
            Properties p = new Properties();
            p.setProperty("user", u[0]);
            p.setProperty("password", u[1]);
            Await.until(Duration.ofSeconds(30), u[0] + " to log in through the router", () -> {
                try (Connection c = connect(rw, p)) {
                    return one(c, "select current_user || ' ' || inet_server_port()").equals(u[0] + " " + primary.port());
                }
            });
        }
        // the server's verifier changes: the router's no longer fits, the server refuses it, and the client hears why
        primary.execute("alter role app password 'changed'");
        primary.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'");
        Properties app = new Properties();
        app.setProperty("user", "app");
        app.setProperty("password", "app-secret");
        Await.until(Duration.ofSeconds(10), "the server to refuse the router's login as app", () -> {
            try (Connection c = connect(rw, app)) {
                one(c, "select 1");
                return false;
            } catch (SQLException e) {
                return e.getMessage().contains("password authentication failed for user \"app\"");
            }
        });
    }

    @Test
    void malformedAndOversizedStartupPacketsAreRefusedWithoutHarmToOtherClients() throws Exception {
        int rw = freePort();
        router(endpoints(rw, "session", freePort(), "session").replace("auth: trust", "auth: trust\n  max_message_size: 1MiB"));
        awaitPrimary(rw);
        try (Connection bystander = connect(rw)) {
            bystander.setAutoCommit(false);
            one(bystander, "select count(*) from t");
            // a start-up packet that says it is 20000 bytes long
            assertThat(refusal(rw, out -> {
                out.writeInt(20000);
                out.writeInt(196608);
            })).contains("invalid start-up packet length 20000");
            // a parameter without its terminating zero
            assertThat(refusal(rw, out -> {
                out.writeInt(8 + 4);
                out.writeInt(196608);
                out.writeBytes("user");
            })).contains("protocol violation");
            // a protocol version the router does not speak
            assertThat(refusal(rw, out -> {
                out.writeInt(8);
                out.writeInt(0x00020000);
            })).contains("unsupported frontend protocol 2.0");
            // after a good start-up, a message larger than max_message_size
            assertThat(refusal(rw, out -> {
                byte[] user = "user\0postgres\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                out.writeInt(8 + user.length);
                out.writeInt(196608);
                out.write(user);
                out.write('Q');
                out.writeInt(2 << 20);
            })).contains("the limit is 1048576 bytes");
            assertThat(one(bystander, "select count(*) from t")).as("the other client's transaction goes on").isEqualTo("100");
            bystander.commit();
        }
    }

    /**
     * A client that asks for a large result and stops reading it: the router stops reading that server connection
     * (its backend then waits to write, ClientWrite) instead of buffering the result, and other clients go on; after
     * client_write_timeout without reading, the client is disconnected and its server connection closed.
     */
    @Test
    void aClientThatStopsReadingHoldsBackOnlyItsOwnServerConnectionUntilItIsDisconnected() throws Exception {
        int rw = freePort();
        Router r = router(endpoints(rw, "session", freePort(), "session") + "  client_write_timeout: 10s\n");
        awaitPrimary(rw);
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", rw), 10_000);
            slow.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(slow.getOutputStream());
            byte[] user = "user\0postgres\0database\0postgres\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.writeInt(8 + user.length);
            out.writeInt(196608);
            out.write(user);
            out.flush();
            DataInputStream in = new DataInputStream(slow.getInputStream());
            for (int type = 0; type != 'Z'; ) { // up to ReadyForQuery
                type = in.readUnsignedByte();
                in.skipNBytes(in.readInt() - 4);
            }
            byte[] query = "select repeat('x', 1000) from generate_series(1, 1000000) -- slow reader\0"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.write('Q');
            out.writeInt(4 + query.length);
            out.write(query);
            out.flush();
            // the client reads nothing more: the result (about 1 GB) backs up to the server
            Await.until(Duration.ofSeconds(60), "the slow client's backend to wait to write its result", () -> primary.queryLong(
                    "select count(*) from pg_stat_activity where query like '%-- slow reader' and wait_event = 'ClientWrite'") == 1);
            try (Connection other = connect(rw)) {
                assertThat(one(other, "select count(*) from t")).as("another client of the same endpoint").isEqualTo("100");
            }
            // what the router took from the server stays a few buffers' worth: it is not reading the result into memory
            Pace.observe(Duration.ofMillis(200), Duration.ofSeconds(3), () -> assertThat(r.stats().pools().stream()
                    .mapToLong(RouterStats.Pool::serverReceivedBytes).sum()).as("bytes read from the server").isLessThan(64L << 20));
            // it still reads nothing: client_write_timeout ends it
            Await.until(Duration.ofSeconds(60), "the router to disconnect the client that reads nothing", () -> r.stats().clients() == 0);
        }
        Await.until(Duration.ofSeconds(30), "the slow client's server connection to end with it", () -> primary.queryLong(
                "select count(*) from pg_stat_activity where query like '%-- slow reader' and pid <> pg_backend_pid()") == 0);
    }

    @Test
    void aClientThatNeverFinishesItsStartupIsEndedAndClientsBeyondTheLimitAreRefused() throws Exception {
        int rw = freePort();
        router(endpoints(rw, "transaction", freePort(), "transaction")
                .replace("auth: trust", "auth: trust\n  startup_timeout: 2s\n  max_client_connections: 2"));
        awaitPrimary(rw);
        try (Connection c = connect(rw); Socket silent = new Socket("127.0.0.1", rw)) {
            Await.until(Duration.ofSeconds(10), "the silent client to be counted", () -> {
                try (Connection third = connect(rw)) {
                    return third.isClosed();
                } catch (SQLException e) {
                    return e.getMessage().contains("sorry, too many clients already");
                }
            });
            silent.setSoTimeout(20_000);
            byte[] answer = silent.getInputStream().readAllBytes();
            assertThat(new String(answer, StandardCharsets.UTF_8)).contains("start-up and authentication not finished within 2000 ms");
            try (Connection third = connect(rw)) {
                assertThat(one(third, "select 1")).as("its place is free again").isEqualTo("1");
            }
            assertThat(one(c, "select 1")).isEqualTo("1");
        }
    }

    private interface Writes {
        void to(DataOutputStream out) throws IOException;
    }

    /** Sends raw bytes to the router; the text of the error it answers with before it closes the connection. */
    private static String refusal(int port, Writes writes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            writes.to(out);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder seen = new StringBuilder();
            while (true) {
                int type = in.read();
                if (type < 0) {
                    return seen.toString();
                }
                int length = in.readInt();
                byte[] body = new byte[length - 4];
                in.readFully(body);
                if (type == 'E') {
                    seen.append(new String(body, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' '));
                }
            }
        }
    }
}
