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
    void tlsToClientsAndToTheServerWithTheirCertificatesVerified() throws Exception {
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

            // walferry router status reads the running router's /status (with the configuration it started from)
            Path statusConfig = config("127.0.0.1", "  auth: trust\n  metrics_port: " + metrics + "\n  endpoints:\n    rw: { port: " + rw + " }\n");
            WalferryFixture.Result json = WalferryFixture.exec(List.of(WalferryFixture.launcher().toString(), "-c", statusConfig.toString(),
                    "router", "status", "--output", "json"), dir, Duration.ofMinutes(2));
            assertThat(json.exitCode()).as(json.all()).isZero();
            var status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
            assertThat(status.get("primary").asText()).isEqualTo("pg1");
            assertThat(status.get("routes").get(0).get("queries").asLong()).isGreaterThanOrEqualTo(7);
            WalferryFixture.Result text = WalferryFixture.exec(List.of(WalferryFixture.launcher().toString(), "-c", statusConfig.toString(),
                    "router", "status"), dir, Duration.ofMinutes(2));
            assertThat(text.out()).contains("primary:  pg1").contains("ENDPOINT").contains("rw");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }
}
