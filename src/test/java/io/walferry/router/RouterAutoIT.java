package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auto endpoint in front of a real primary and a streaming replica: each statement runs where the classifier says
 * (checked by the port of the server that answered), writes (in CTEs, functions, after a read in one simple query,
 * behind comments) run on the primary without an error, and a client's read right after its own write goes to the
 * primary while the replica's replay is paused, and to the replica once it has replayed the write.
 */
@ExtendWith(PgLogOnFailure.class)
class RouterAutoIT {
    private static Path dir;
    private static PgCluster primary;
    private static PgCluster replica;
    private static Router router;
    private static int port;

    @BeforeAll
    static void setUp() throws Exception {
        dir = TempDirs.create("wf-router-auto-");
        primary = PgCluster.init(dir, "pg1");
        primary.start();
        replica = PgCluster.baseBackup(primary, dir, "pg2", true);
        replica.touch("standby.signal");
        replica.set("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=postgres");
        replica.start();
        primary.execute("create table t (id int primary key, note text)");
        primary.execute("create sequence s");
        primary.execute("create function bump() returns bigint language sql as 'select nextval(''s'')'");
        Await.until(Duration.ofSeconds(60), "the replica to stream", () ->
                "t".equals(replica.queryString("select count(*) = 0 from t")));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // lag limits far off: a replica whose replay is paused still serves reads, so read-your-writes alone decides
        String yaml = "cluster: test\nnodes:\n"
                + "  - name: pg1\n    port: " + primary.port() + "\n    data_directory: " + primary.dataDir() + "\n"
                + "  - name: pg2\n    port: " + replica.port() + "\n    data_directory: " + replica.dataDir() + "\n"
                + "repositories:\n  - name: local\n    type: fs\n    path: " + Files.createDirectories(dir.resolve("repo")) + "\n"
                + "router:\n  auth: trust\n  metrics_port: 0\n  max_lag_bytes: 1GiB\n  max_lag_time: 1h\n  endpoints:\n"
                + "    auto: { port: " + port + ", pool_size: 4 }\n";
        Path config = dir.resolve("walferry.yaml");
        Files.writeString(config, yaml);
        router = Router.start(new ConfigLoader(Map.of()).load(config));
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
        for (PgCluster c : new PgCluster[]{replica, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private static Connection connect(boolean simple) throws SQLException {
        Properties p = new Properties();
        if (simple) {
            p.setProperty("preferQueryMode", "simple");
        }
        return connect(p);
    }

    private static Connection connect(Properties extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "10");
        p.putAll(extra);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    /** The port of the server that ran {@code sql}: the last column of its last result is inet_server_port(). */
    private static int ranOn(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            Integer last = null;
            for (boolean result = s.execute(sql); result || s.getUpdateCount() != -1; result = s.getMoreResults()) {
                if (result) {
                    try (ResultSet r = s.getResultSet()) {
                        r.next();
                        last = r.getInt(r.getMetaData().getColumnCount());
                    }
                }
            }
            assertThat(last).as("a result from %s", sql).isNotNull();
            return last;
        }
    }

    private static void awaitReplicaServes(Connection c) {
        Await.until(Duration.ofSeconds(60), "the auto endpoint to send a read to the replica", () ->
                ranOn(c, "select inet_server_port()") == replica.port());
    }

    @Test
    void eachStatementRunsWhereTheClassifierSays() throws Exception {
        try (Connection reads = connect(false); Connection simple = connect(true); Connection writes = connect(false)) {
            awaitReplicaServes(reads);
            assertThat(ranOn(reads, "/* a comment */ select count(*), inet_server_port() from t")).isEqualTo(replica.port());
            assertThat(ranOn(reads, "with x as (select id from t) select count(*), inet_server_port() from x")).isEqualTo(replica.port());
            assertThat(ranOn(simple, "select 1; select inet_server_port()")).isEqualTo(replica.port());

            // writes a keyword-guessing router sent to replicas: each runs on the primary, so no client sees an error
            assertThat(ranOn(writes, "with x as (insert into t values (1, 'cte') returning id) select id, inet_server_port() from x"))
                    .isEqualTo(primary.port());
            assertThat(ranOn(writes, "select nextval('s'), inet_server_port()")).isEqualTo(primary.port());
            assertThat(ranOn(writes, "select bump(), inet_server_port()")).isEqualTo(primary.port());
            assertThat(ranOn(writes, "select id, inet_server_port() from t where id = 1 for no key update")).isEqualTo(primary.port());
            assertThat(ranOn(simple, "-- select\nINSERT INTO \"t\" VALUES (2, 'comment'); select inet_server_port()")).isEqualTo(primary.port());
            assertThat(ranOn(simple, "select 1; insert into t values (3, 'second'); select inet_server_port()")).isEqualTo(primary.port());
            try (Statement s = writes.createStatement()) {
                s.execute("update t set note = 'updated' where id = 1");
            }
            assertThat(primary.queryString("select string_agg(id || ':' || note, ',' order by id) from t where id < 100"))
                    .isEqualTo("1:updated,2:comment,3:second");

            // a transaction declared read-only may run on a replica, a plain one runs on the primary
            reads.setAutoCommit(false);
            reads.setReadOnly(true);
            assertThat(ranOn(reads, "select inet_server_port()")).isEqualTo(replica.port());
            reads.commit();
            reads.setReadOnly(false);
            assertThat(ranOn(reads, "select inet_server_port()")).isEqualTo(primary.port());
            reads.commit();
            reads.setAutoCommit(true);
        }
        // named prepared statements (pgjdbc prepares on the server from the first execution): each Bind is judged by
        // the text the router keeps of the statement
        Properties named = new Properties();
        named.setProperty("prepareThreshold", "1");
        try (Connection reads = connect(named); Connection writes = connect(named);
             PreparedStatement read = reads.prepareStatement("select count(*), inet_server_port() from t where id > ?");
             PreparedStatement write = writes.prepareStatement("insert into t values (?, 'prepared') returning inet_server_port()")) {
            awaitReplicaServes(reads);
            for (int i = 0; i < 3; i++) {
                read.setInt(1, 0);
                try (ResultSet r = read.executeQuery()) {
                    r.next();
                    assertThat(r.getInt(2)).isEqualTo(replica.port());
                }
                write.setInt(1, 10 + i);
                try (ResultSet r = write.executeQuery()) {
                    r.next();
                    assertThat(r.getInt(1)).isEqualTo(primary.port());
                }
            }
        }
        // session state keeps the session on the primary
        try (Connection c = connect(false)) {
            awaitReplicaServes(c);
            try (Statement s = c.createStatement()) {
                s.execute("set search_path = public");
            }
            for (int i = 0; i < 3; i++) {
                assertThat(ranOn(c, "select inet_server_port()")).isEqualTo(primary.port());
            }
        }
    }

    @Test
    void aStatementPreparedInAWritingTransactionLaterReadsOnTheReplica() throws Exception {
        Properties named = new Properties();
        named.setProperty("prepareThreshold", "1");
        try (Connection c = connect(named);
             PreparedStatement read = c.prepareStatement("select count(*), inet_server_port() from t where id > ?")) {
            c.setAutoCommit(false);
            read.setInt(1, 0);
            try (ResultSet r = read.executeQuery()) {
                r.next();
                assertThat(r.getInt(2)).isEqualTo(primary.port());
            }
            c.commit();
            c.setAutoCommit(true);
            Await.until(Duration.ofSeconds(60), "the prepared read to go to the replica", () -> {
                try (ResultSet r = read.executeQuery()) {
                    r.next();
                    return r.getInt(2) == replica.port();
                }
            });
        }
    }

    @Test
    void aClientReadsItsOwnWritesWhileTheReplicaLags() throws Exception {
        try (Connection writer = connect(false); Connection other = connect(false)) {
            awaitReplicaServes(writer);
            awaitReplicaServes(other);
            replica.execute("select pg_wal_replay_pause()");
            try {
                try (Statement s = writer.createStatement()) {
                    s.execute("insert into t values (100, 'mine')");
                }
                // the replica has not replayed the insert: the writer's read goes to the primary and sees it
                for (int i = 0; i < 3; i++) {
                    assertThat(ranOn(writer, "select count(*), inet_server_port() from t where id = 100")).isEqualTo(primary.port());
                    try (Statement s = writer.createStatement(); ResultSet r = s.executeQuery("select count(*) from t where id = 100")) {
                        r.next();
                        assertThat(r.getInt(1)).isEqualTo(1);
                    }
                }
                // a client that wrote nothing still reads on the replica, which does not have the row yet
                try (Statement s = other.createStatement();
                     ResultSet r = s.executeQuery("select count(*), inet_server_port() from t where id = 100")) {
                    r.next();
                    assertThat(r.getInt(2)).isEqualTo(replica.port());
                    assertThat(r.getInt(1)).isZero();
                }
            } finally {
                replica.execute("select pg_wal_replay_resume()");
            }
            // once the replica has replayed the write, the writer's reads go there, and see it
            Await.until(Duration.ofSeconds(60), "the writer's read to go to the replica", () -> {
                try (Statement s = writer.createStatement();
                     ResultSet r = s.executeQuery("select count(*), inet_server_port() from t where id = 100")) {
                    r.next();
                    assertThat(r.getInt(1)).isEqualTo(1);
                    return r.getInt(2) == replica.port();
                }
            });
        }
    }
}
