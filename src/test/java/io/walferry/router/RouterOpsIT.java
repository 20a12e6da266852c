package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.failure.WalferryException;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.SelfSignedCertificate;
import io.walferry.testing.ServerUser;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * The router's operations against a real PostgreSQL with ssl = on: TLS to clients (pgjdbc verify-full) and to the server
 * (verify-full, verify-ca, a wrong CA, a wrong name), plain clients refused when TLS is required; a reload (in process, and
 * by SIGHUP to walferry router) that changes pool sizes and lag limits under connected clients, and a broken file refused;
 * {@code /metrics} and {@code walferry router status}.
 */
@ExtendWith(PgLogOnFailure.class)
class RouterOpsIT {
    private Path dir;
    private PgCluster primary;
    private SelfSignedCertificate cert;
    private final List<Router> routers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = TempDirs.create("wf-router-ops-");
        cert = SelfSignedCertificate.make(Files.createDirectories(dir.resolve("tls")));
        primary = PgCluster.init(dir, "pg1");
        for (String f : new String[]{"server.crt", "server.key"}) {
            Path p = primary.dataDir().resolve(f);
            Files.copy(f.endsWith("crt") ? cert.certificate() : cert.key(), p, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
            ServerUser.chown(p);
        }
        primary.set("ssl", "on");
        primary.start();
        primary.execute("create table t (id int primary key)");
    }

    @AfterEach
    void tearDown() {
        routers.forEach(Router::close);
        if (primary != null) {
            primary.close();
        }
        TempDirs.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A configuration of the node at {@code host} with these router: keys (indented two spaces). */
    private Path config(String host, String routerYaml) throws IOException {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        String yaml = "cluster: test\nnodes:\n"
                + "  - name: pg1\n    host: " + host + "\n    port: " + primary.port() + "\n    data_directory: " + primary.dataDir() + "\n"
                + "repositories:\n  - name: local\n    type: fs\n    path: " + repo + "\n"
                + "router:\n" + routerYaml;
        Path config = Files.createTempFile(dir, "walferry-", ".yaml");
        Files.writeString(config, yaml);
        return config;
    }

    private Router router(Path config) {
        Router r = Router.start(new ConfigLoader(Map.of()).load(config));
        routers.add(r);
        return r;
    }

    private static Connection connect(int port, String... properties) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "10");
        p.setProperty("sslmode", "disable");
        for (int i = 0; i < properties.length; i += 2) {
            p.setProperty(properties[i], properties[i + 1]);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    private static final String SERVER_SSL = "select ssl from pg_stat_ssl where pid = pg_backend_pid()";

    private void awaitPrimary(int rw, String... properties) {
        Await.until(Duration.ofSeconds(30), "the router to find the primary", () -> {
            try (Connection c = connect(rw, properties)) {
                return one(c, "select pg_is_in_recovery()").equals("f");
            }
        });
    }

    @Test
    void tlsToClientsAndToTheServerWithTheirCertificatesVerifiedAndClientCertificatesChecked() throws Exception {
        int rw = freePort();
        router(config("127.0.0.1", "  auth: trust\n  metrics_port: 0\n"
                + "  tls: { certificate: " + cert.certificate() + ", key: " + cert.key() + ", clients: require }\n"
                + "  server_tls: { sslmode: verify-full, sslrootcert: " + cert.certificate() + " }\n"
                + "  endpoints:\n    rw: { port: " + rw + ", pool_mode: transaction, pool_size: 2 }\n"));
        String[] verified = {"sslmode", "verify-full", "sslrootcert", cert.certificate().toString()};
        awaitPrimary(rw, verified);
        try (Connection c = connect(rw, verified)) {
            assertThat(one(c, SERVER_SSL)).as("the router's connection to the server is TLS").isEqualTo("t");
            try (var ps = c.prepareStatement("insert into t values (?)")) {
                for (int i = 1; i <= 10; i++) {
                    ps.setInt(1, i);
                    ps.executeUpdate();
                }
            }
            assertThat(one(c, "select count(*) from t")).isEqualTo("10");
        }
        assertThatThrownBy(() -> connect(rw)).isInstanceOf(SQLException.class)
                .hasMessageContaining("the router accepts only TLS connections: connect with sslmode=require or stronger");

        // a GSS encryption request is declined, an SSL request on the same connection accepted
        try (Socket s = new Socket("127.0.0.1", rw)) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.writeInt(8);
            out.writeInt(StartupPacket.GSSENC_REQUEST);
            out.flush();
            assertThat((char) in.readByte()).isEqualTo('N');
            out.writeInt(8);
            out.writeInt(StartupPacket.SSL_REQUEST);
            out.flush();
            assertThat((char) in.readByte()).isEqualTo('S');
        }
        clientCertificatesSignedByTheCaAndNamingTheUserLogInAndOthersAreRefusedWithTheReason();
    }

    /** openssl, in {@code in}: fails the test with its output if it fails. */
    private static void openssl(Path in, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(in.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", cmd) + ": " + out).isTrue();
    }

    /** On the cluster of the TLS test: a router with tls.clients verify-full and auth: cert. */
    private void clientCertificatesSignedByTheCaAndNamingTheUserLogInAndOthersAreRefusedWithTheReason() throws Exception {
        Path c = Files.createDirectories(dir.resolve("clients"));
        openssl(c, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=test clients CA", "-keyout", "ca.key", "-out", "ca.crt");
        openssl(c, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=app", "-keyout", "app.key", "-out", "app.csr");
        openssl(c, "x509", "-req", "-in", "app.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", "app.crt");
        // a CA of the same name and another key: its certificate is offered (the issuer's name fits) and must be refused
        openssl(c, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=test clients CA", "-keyout", "fake.key", "-out", "fake.crt");
        openssl(c, "x509", "-req", "-in", "app.csr", "-CA", "fake.crt", "-CAkey", "fake.key", "-CAcreateserial", "-days", "1", "-out", "forged.crt");
        openssl(c, "pkcs8", "-topk8", "-outform", "DER", "-nocrypt", "-in", "app.key", "-out", "app.pk8");
        primary.execute("create role app login");
        int rw = freePort();
        router(config("127.0.0.1", "  auth: cert\n  metrics_port: 0\n"
                + "  tls: { certificate: " + cert.certificate() + ", key: " + cert.key() + ", clients: verify-full, client_ca: " + c.resolve("ca.crt") + " }\n"
                + "  endpoints:\n    rw: { port: " + rw + ", pool_mode: transaction, pool_size: 2 }\n"));
        String[] app = {"user", "app", "sslmode", "require", "sslcert", c.resolve("app.crt").toString(), "sslkey", c.resolve("app.pk8").toString()};
        Await.until(Duration.ofSeconds(30), "app to log in with its certificate", () -> {
            try (Connection conn = connect(rw, app)) {
                return one(conn, "select current_user").equals("app");
            }
        });
        assertThatThrownBy(() -> connect(rw, "user", "app", "sslmode", "require", "sslcert", c.resolve("none.crt").toString()))
                .isInstanceOf(SQLException.class).hasMessageContaining("the router accepts only clients with a certificate (router.tls.clients: verify-full)")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
        assertThatThrownBy(() -> connect(rw, "user", "app", "sslmode", "require", "sslcert", c.resolve("forged.crt").toString(),
                "sslkey", c.resolve("app.pk8").toString()))
                .isInstanceOf(SQLException.class).hasMessageContaining("is not signed by a CA of router.tls.client_ca");
        String[] asPostgres = app.clone();
        asPostgres[1] = "postgres";
        assertThatThrownBy(() -> connect(rw, asPostgres)).isInstanceOf(SQLException.class)
                .hasMessageContaining("the client certificate's CN \"app\" is not the user \"postgres\" (router.auth: cert)");
        try (Connection conn = connect(rw, app)) {
            assertThat(one(conn, "select current_user")).as("refusals harm no one else").isEqualTo("app");
        }
    }

    /** The function docs/router.md has the DBA create for auth_query, and the role the router looks users up as. */
    private void authQuerySetUp() throws SQLException {
        primary.execute("create role walferry_auth login password 'auth-secret'");
        primary.execute("create schema walferry");
        primary.execute("create function walferry.user_secret(i_username text) returns table (usename name, passwd text) "
                + "language sql security definer set search_path = pg_catalog "
                + "as $$ select usename, passwd from pg_catalog.pg_shadow where usename = i_username $$");
        primary.execute("revoke all on function walferry.user_secret(text) from public");
        primary.execute("grant usage on schema walferry to walferry_auth");
        primary.execute("grant execute on function walferry.user_secret(text) to walferry_auth");
    }

    private static String[] login(String user, String password) {
        return new String[]{"user", user, "password", password};
    }

    @Test
    void authQueryUsersLogInThroughToTheServerWithTheirScramKeysAndLimitsPerUserHoldWithoutHarmToOthers() throws Exception {
        authQuerySetUp();
        primary.execute("create role app login password 'app-secret'");
        primary.execute("create role report login password 'report-secret'");
        // the server asks app and report for SCRAM: the router logs in with the keys of the client's own exchange
        primary.hba("host all app 127.0.0.1/32 scram-sha-256\nhost all report 127.0.0.1/32 scram-sha-256\n"
                + "host all walferry_auth 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n");
        primary.execute("select pg_reload_conf()");
        Path secret = dir.resolve("auth-password");
        Files.writeString(secret, "auth-secret\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        int rw = freePort();
        Path file = config("127.0.0.1", "  auth: scram\n  metrics_port: 0\n  failover_wait: 3s\n"
                + "  auth_query: { user: walferry_auth, password: \"${file:" + secret + "}\" }\n"
                + "  max_user_connections: 2\n  user_pool_size: 1\n  user_limits:\n    report: { max_user_connections: 1 }\n"
                + "  endpoints:\n    rw: { port: " + rw + ", pool_mode: transaction, pool_size: 4 }\n");
        Router r = router(file);
        Await.until(Duration.ofSeconds(30), "app to log in through auth_query", () -> {
            try (Connection c = connect(rw, login("app", "app-secret"))) {
                return one(c, "select current_user").equals("app");
            }
        });
        assertThatThrownBy(() -> connect(rw, login("app", "wrong"))).isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed for user \"app\"");
        assertThatThrownBy(() -> connect(rw, login("nobody", "wrong"))).isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed for user \"nobody\"");

        Await.until(Duration.ofSeconds(30), "the clients so far to be gone", () -> r.stats().clients() == 0);
        try (Connection a = connect(rw, login("app", "app-secret")); Connection b = connect(rw, login("app", "app-secret"))) {
            // max_user_connections 2: a third client of app is refused, report is not
            assertThatThrownBy(() -> connect(rw, login("app", "app-secret"))).isInstanceOf(SQLException.class)
                    .hasMessageContaining("too many connections for user \"app\": it holds 2 (router.max_user_connections 2)")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("53300"));
            // user_pool_size 1: while a's transaction holds app's one server connection, b waits and is refused at failover_wait
            a.setAutoCommit(false);
            try (Statement st = a.createStatement()) {
                st.executeUpdate("create temp table held (x int)");
            }
            assertThatThrownBy(() -> one(b, "select 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("router.user_pool_size 1: user app holds 1 server connections on node pg1")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("53300"));
            try (Connection report = connect(rw, login("report", "report-secret"))) {
                assertThat(one(report, "select current_user")).as("another user is not held back").isEqualTo("report");
                // report's own max_user_connections 1 (app's is the global 2): its second client is refused, naming report's key
                assertThatThrownBy(() -> connect(rw, login("report", "report-secret"))).isInstanceOf(SQLException.class)
                        .hasMessageContaining("too many connections for user \"report\": it holds 1 (router.user_limits.report.max_user_connections 1)")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("53300"));
                // a reload raises it under the connected client
                Files.writeString(file, Files.readString(file).replace("report: { max_user_connections: 1 }", "report: { max_user_connections: 2 }"));
                assertThat(r.reload(() -> new ConfigLoader(Map.of()).load(file))).isEqualTo("user_limits");
                try (Connection second = connect(rw, login("report", "report-secret"))) {
                    assertThat(one(second, "select current_user")).as("report's raised limit").isEqualTo("report");
                }
            }
            assertThat(one(a, "select 'a goes on'")).isEqualTo("a goes on");
            a.commit();
        }
        Await.until(Duration.ofSeconds(30), "every client to be gone", () -> r.stats().clients() == 0);
        try (Connection c = connect(rw, login("app", "app-secret"))) {
            assertThat(one(c, "select current_user")).as("app's places are free again").isEqualTo("app");
        }
        // another database is another pool: app's idle connection of the first pool is closed to make room for it
        primary.execute("create database other");
        Properties p = new Properties();
        p.setProperty("user", "app");
        p.setProperty("password", "app-secret");
        p.setProperty("sslmode", "disable");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + rw + "/other", p)) {
            assertThat(one(c, "select current_database()")).isEqualTo("other");
        }
        assertThat(r.stats().pools().stream().filter(pool -> pool.name().startsWith("app@")).mapToInt(RouterStats.Pool::servers).sum())
                .as("user_pool_size 1 over both pools").isLessThanOrEqualTo(1);
    }

    @Test
    void aServerCertificateOfTheWrongNameOrCaIsRefusedAndVerifyCaDoesNotCheckTheName() throws Exception {
        SelfSignedCertificate other = SelfSignedCertificate.make(Files.createDirectories(dir.resolve("other")));
        String endpoints = "  auth: trust\n  metrics_port: 0\n  failover_wait: 5s\n  endpoints:\n    rw: { port: %d, pool_size: 2 }\n";
        int byName = freePort();
        int byCa = freePort();
        int wrongCa = freePort();
        // the certificate names 127.0.0.1 only: reached as localhost, verify-full refuses it and verify-ca takes it
        router(config("localhost", endpoints.formatted(byName) + "  server_tls: { sslmode: verify-full, sslrootcert: " + cert.certificate() + " }\n"));
        router(config("localhost", endpoints.formatted(byCa) + "  server_tls: { sslmode: verify-ca, sslrootcert: " + cert.certificate() + " }\n"));
        router(config("127.0.0.1", endpoints.formatted(wrongCa) + "  server_tls: { sslmode: verify-full, sslrootcert: " + other.certificate() + " }\n"));
        awaitPrimary(byCa);
        try (Connection c = connect(byCa)) {
            assertThat(one(c, SERVER_SSL)).isEqualTo("t");
        }
        for (int port : new int[]{byName, wrongCa}) {
            Await.until(Duration.ofSeconds(30), "the router on " + port + " to refuse the server's certificate", () -> {
                try (Connection c = connect(port)) {
                    one(c, "select 1");
                    return false;
                } catch (SQLException e) {
                    return e.getMessage().contains("TLS with node pg1 failed");
                }
            });
        }
    }

    @Test
    void aReloadChangesPoolSizeAndLagUnderConnectedClientsAndABrokenFileIsRefused() throws Exception {
        int rw = freePort();
        String base = "  auth: trust\n  metrics_port: 0\n  failover_wait: 60s\n  endpoints:\n    rw: { port: " + rw
                + ", pool_mode: transaction, pool_size: %d }\n";
        Path file = config("127.0.0.1", base.formatted(1));
        Router r = router(file);
        awaitPrimary(rw);
        try (Connection a = connect(rw); Connection b = connect(rw)) {
            a.setAutoCommit(false);
            one(a, "select 1"); // a holds the pool's one server connection
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(b, "select 'b ran'");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until(Duration.ofSeconds(30), "b to wait for a server connection",
                    () -> r.stats().pools().stream().mapToInt(RouterStats.Pool::waiting).sum() == 1);

            Files.writeString(file, Files.readString(file).replace("pool_size: 1", "pool_size: 3") + "  max_lag_bytes: 1MiB\n");
            assertThat(r.reload(() -> new ConfigLoader(Map.of()).load(file))).isEqualTo("endpoints, max_lag_bytes");
            assertThat(waiting.get(30, TimeUnit.SECONDS)).as("the larger pool serves b while a's transaction goes on").isEqualTo("b ran");
            try (Statement s = a.createStatement()) {
                s.executeUpdate("insert into t values (1)");
            }
            a.commit();

            Path broken = config("127.0.0.1", base.formatted(1).replace("pool_size: 1", "pool_size: -3"));
            assertThatThrownBy(() -> r.reload(() -> new ConfigLoader(Map.of()).load(broken))).isInstanceOf(WalferryException.class)
                    .hasMessageContaining("pool_size").hasMessageNotContaining("\n");
            Path moved = config("127.0.0.1", base.formatted(3).replace("port: " + rw, "port: " + freePort()));
            assertThatThrownBy(() -> r.reload(() -> new ConfigLoader(Map.of()).load(moved))).isInstanceOf(WalferryException.class)
                    .hasMessage("router.endpoints' ports changed: a reload cannot change it");
            assertThat(r.stats()).extracting(RouterStats::reloads, RouterStats::reloadsRefused).containsExactly(1L, 2L);
            // the clients and the configuration in force are as they were
            assertThat(one(a, "select count(*) from t")).isEqualTo("1");
            assertThat(one(b, "select 2")).isEqualTo("2");
            a.commit();
        }
    }

    @Test
    void sighupReloadsTheRouterCommandAndItsStatusAndMetricsAreServed() throws Exception {
        int rw = freePort();
        int metrics = freePort();
        Path file = config("127.0.0.1", "  auth: trust\n  metrics_port: " + metrics + "\n  endpoints:\n    rw: { port: " + rw
                + ", pool_mode: transaction, pool_size: 2 }\n");
        Path log = dir.resolve("router.log");
        Process p = new ProcessBuilder(WalferryFixture.launcher().toString(), "-c", file.toString(), "router")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitPrimary(rw);
            try (Connection c = connect(rw)) {
                for (int i = 0; i < 5; i++) {
                    one(c, "select 1");
                }
                assertThat(one(c, "select repeat('x', 1000000)")).hasSize(1_000_000);
                Files.writeString(file, Files.readString(file).replace("pool_size: 2", "pool_size: 4"));
                new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
                Await.until(Duration.ofSeconds(30), "the reload in the log", () -> Files.readString(log).contains("router: configuration reloaded"));
                assertThat(one(c, "select 'still here'")).isEqualTo("still here");

                Files.writeString(file, "router: [\n");
                new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
                Await.until(Duration.ofSeconds(30), "the refusal in the log", () -> Files.readString(log).contains("refused"));
                assertThat(Files.readString(log).lines().filter(l -> l.contains("refused")).toList()).singleElement().asString()
                        .contains("router: reload of " + file + " refused, the configuration in force stays: ");
                assertThat(one(c, "select 'and still'")).isEqualTo("and still");
                assertThat(p.isAlive()).isTrue();
            }

            HttpResponse<String> m = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(m.statusCode()).isEqualTo(200);
            assertThat(m.body()).contains("walferry_router_primary{cluster=\"test\",node=\"pg1\"} 1")
                    .containsPattern("walferry_router_queries_total\\{cluster=\"test\",endpoint=\"rw\",node=\"pg1\"} \\d+")
                    .contains("walferry_router_reloads_total{cluster=\"test\"} 1")
                    .contains("walferry_router_reloads_refused_total{cluster=\"test\"} 1");
            for (String counter : new String[]{"client_sent", "server_received"}) {
                java.util.regex.Matcher bytes = java.util.regex.Pattern.compile("walferry_router_pool_" + counter
                        + "_bytes_total\\{cluster=\"test\",mode=\"transaction\",node=\"pg1\",pool=\"postgres@pg1/postgres\"} (\\S+)").matcher(m.body());
                assertThat(bytes.find()).as(counter + " in " + m.body()).isTrue();
                assertThat(Double.parseDouble(bytes.group(1))).as("the large result counted").isGreaterThanOrEqualTo(1_000_000);
            }

            // walferry router status reads the running router's /status (with the configuration it started from)
            Path statusConfig = config("127.0.0.1", "  auth: trust\n  metrics_port: " + metrics + "\n  endpoints:\n    rw: { port: " + rw + " }\n");
            WalferryFixture.Result json = WalferryFixture.exec(List.of(WalferryFixture.launcher().toString(), "-c", statusConfig.toString(),
                    "router", "status", "--output", "json"), dir, Duration.ofMinutes(2));
            assertThat(json.exitCode()).as(json.all()).isZero();
            var status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
            assertThat(status.get("primary").asText()).isEqualTo("pg1");
            assertThat(status.get("routes").get(0).get("queries").asLong()).isGreaterThanOrEqualTo(7);
            assertThat(status.get("pools").get(0).get("client_sent_bytes").asLong()).isGreaterThanOrEqualTo(1_000_000);
            assertThat(status.get("pools").get(0).get("server_received_bytes").asLong()).isGreaterThanOrEqualTo(1_000_000);
            assertThat(status.get("pools").get(0).get("client_received_bytes").asLong()).isPositive();
            assertThat(status.get("pools").get(0).get("server_sent_bytes").asLong()).isPositive();
            WalferryFixture.Result text = WalferryFixture.exec(List.of(WalferryFixture.launcher().toString(), "-c", statusConfig.toString(),
                    "router", "status"), dir, Duration.ofMinutes(2));
            assertThat(text.out()).contains("primary:  pg1").contains("ENDPOINT").contains("rw").contains("TO_CLIENTS").contains("977.3 KiB");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }
}
