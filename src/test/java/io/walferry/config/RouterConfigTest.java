package io.walferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The router: section: defaults, every key read, and each mistake as one line with the file, line and key. */
class RouterConfigTest {
    @TempDir
    Path tmp;

    private static final String CLUSTER = """
            cluster: main
            nodes:
              - name: pg1
                data_directory: /var/lib/postgresql/15/main
            repositories:
              - name: local
                type: fs
                path: /var/lib/walferry/repo
            """;

    private WalferryConfig load(String router) throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, CLUSTER + "router:\n" + router);
        return new ConfigLoader(Map.of()).load(p);
    }

    @Test
    void defaultsAndEveryKey() throws IOException {
        RouterConfig d = load("  users_file: /etc/walferry/users.txt\n  endpoints:\n    rw: { port: 6432 }\n").router().orElseThrow();
        assertThat(d.listen()).isEqualTo("127.0.0.1");
        assertThat(d.auth()).isEqualTo(RouterConfig.ClientAuth.SCRAM);
        assertThat(d.endpoints()).containsExactly(new RouterConfig.Endpoint(RouterConfig.Role.RW, 6432, RouterConfig.PoolMode.TRANSACTION, 20));
        assertThat(d.endpoint(RouterConfig.Role.RO)).isEmpty();
        assertThat(d.maxLagBytes()).isEqualTo(16L << 20);
        assertThat(d.maxLagTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.checkInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(d.failoverWait()).isEqualTo(Duration.ofSeconds(30));

        RouterConfig c = load("""
                  listen: 0.0.0.0
                  auth: trust
                  max_client_connections: 50
                  max_message_size: 2MiB
                  startup_timeout: 3s
                  failover_wait: 5s
                  max_lag_bytes: 4MiB
                  max_lag_time: 2s
                  check_interval: 100ms
                  connect_timeout: 1s
                  endpoints:
                    rw: { port: 7000, pool_mode: session, pool_size: 5 }
                    ro: { port: 7001, pool_mode: transaction, pool_size: 6 }
                    auto: { port: 7002, pool_size: 7 }
                """).router().orElseThrow();
        assertThat(c.endpoints()).containsExactly(
                new RouterConfig.Endpoint(RouterConfig.Role.RW, 7000, RouterConfig.PoolMode.SESSION, 5),
                new RouterConfig.Endpoint(RouterConfig.Role.RO, 7001, RouterConfig.PoolMode.TRANSACTION, 6),
                new RouterConfig.Endpoint(RouterConfig.Role.AUTO, 7002, RouterConfig.PoolMode.TRANSACTION, 7));
        assertThat(c).extracting(RouterConfig::listen, RouterConfig::auth, RouterConfig::maxClients, RouterConfig::maxMessageBytes,
                RouterConfig::startupTimeout, RouterConfig::failoverWait, RouterConfig::maxLagBytes, RouterConfig::maxLagTime,
                RouterConfig::checkInterval, RouterConfig::connectTimeout).containsExactly("0.0.0.0", RouterConfig.ClientAuth.TRUST, 50,
                2L << 20, Duration.ofSeconds(3), Duration.ofSeconds(5), 4L << 20, Duration.ofSeconds(2), Duration.ofMillis(100),
                Duration.ofSeconds(1));
        Path none = tmp.resolve("plain.yaml");
        Files.writeString(none, CLUSTER);
        assertThat(new ConfigLoader(Map.of()).load(none).router()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
            "  auth: trust\\n  endpoints: {}\\n|:11: router.endpoints: must name at least one of rw, ro, auto",
            "  auth: trust\\n|:10: router.endpoints: is required",
            "  auth: trust\\n  endpoints:\\n    rw: { pool_size: 3 }\\n|:12: router.endpoints.rw.port: is required",
            "  auth: trust\\n  endpoints:\\n    rw: { port: 6432 }\\n    ro: { port: 6432 }\\n|:13: router.endpoints.ro.port: port 6432 is already the rw endpoint's",
            "  auth: trust\\n  endpoints:\\n    rw: { port: 6432, pool_mode: statement }\\n|:12: router.endpoints.rw.pool_mode: expected one of session, transaction, got \"statement\"",
            "  auth: trust\\n  endpoints:\\n    any: { port: 6432 }\\n|:12: router.endpoints.any: unknown key",
            "  auth: trust\\n  endpoints:\\n    auto: { port: 6432, pool_mode: session }\\n|:12: router.endpoints.auto.pool_mode: must be transaction for the auto endpoint",
            "  endpoints:\\n    rw: { port: 6432 }\\n|router.users_file: is required with auth: scram",
            "  auth: trust\\n  users_file: /u\\n  endpoints:\\n    rw: { port: 6432 }\\n|:11: router.users_file: is only read with auth: scram",
            "  auth: trust\\n  check_interval: 5s\\n  endpoints:\\n    rw: { port: 6432 }\\n|:11: router.check_interval: expected from 50ms to 1s",
            "  auth: trust\\n  max_lag_time: 100ms\\n  endpoints:\\n    rw: { port: 6432 }\\n|:11: router.max_lag_time: must be longer than check_interval",
            "  auth: trust\\n  pool: 3\\n  endpoints:\\n    rw: { port: 6432 }\\n|:11: router.pool: unknown key",
    })
    void mistakesAreOneLineWithTheLineAndKey(String yaml, String expected) {
        assertThatThrownBy(() -> load(yaml.replace("\\n", "\n"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected).hasMessageNotContaining("\n");
    }

    @Test
    void authQueryUserLimitsAndClientCertificates() throws IOException {
        RouterConfig d = load("  users_file: /u\n  endpoints:\n    rw: { port: 6432 }\n").router().orElseThrow();
        assertThat(d.authQuery()).isEmpty();
        assertThat(d.userLimits()).isEqualTo(RouterConfig.UserLimits.NONE);

        RouterConfig c = load("""
                  auth_query: { user: walferry_auth, password: s3cret, query: "select passwd from my.lookup($1)", database: app, cache_ttl: 30s }
                  max_user_connections: 5
                  user_pool_size: 2
                  tls: { certificate: /etc/r.crt, key: /etc/r.key, clients: verify-full, client_ca: /etc/clients.crt }
                  endpoints:
                    rw: { port: 6432 }
                """).router().orElseThrow();
        RouterConfig.AuthQuery q = c.authQuery().orElseThrow();
        assertThat(q.user()).isEqualTo("walferry_auth");
        assertThat(q.password().orElseThrow().reveal()).isEqualTo("s3cret");
        assertThat(q.toString()).doesNotContain("s3cret");
        assertThat(q.query()).contains("select passwd from my.lookup($1)");
        assertThat(q.database()).contains("app");
        assertThat(q.cacheTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.usersFile()).as("auth_query alone is enough").isEmpty();
        assertThat(c.userLimits()).isEqualTo(new RouterConfig.UserLimits(5, 2));
        assertThat(c.tls()).contains(new RouterConfig.ClientTls(Path.of("/etc/r.crt"), Path.of("/etc/r.key"), true,
                RouterConfig.ClientCertificates.VERIFY_FULL, java.util.Optional.of(Path.of("/etc/clients.crt"))));

        assertThat(c.userLimits().users()).as("no overrides").isEmpty();

        RouterConfig.UserLimits own = load("""
                  auth: trust
                  max_user_connections: 100
                  user_pool_size: 20
                  user_limits:
                    app: { max_user_connections: 50, user_pool_size: 10 }
                    report: { max_user_connections: 5 }
                    admin: { max_user_connections: 0 }
                  endpoints:
                    rw: { port: 6432 }
                """).router().orElseThrow().userLimits();
        assertThat(own.clients("app")).isEqualTo(new RouterConfig.UserLimits.Limit(50, "router.user_limits.app.max_user_connections"));
        assertThat(own.servers("app")).isEqualTo(new RouterConfig.UserLimits.Limit(10, "router.user_limits.app.user_pool_size"));
        assertThat(own.clients("report").value()).isEqualTo(5);
        assertThat(own.servers("report")).as("a key not set takes the global value")
                .isEqualTo(new RouterConfig.UserLimits.Limit(20, "router.user_pool_size"));
        assertThat(own.clients("admin").value()).as("0 is no limit for this user").isZero();
        assertThat(own.clients("someone")).isEqualTo(new RouterConfig.UserLimits.Limit(100, "router.max_user_connections"));
        assertThat(own.users().get("report")).isEqualTo(new RouterConfig.UserLimits.PerUser(java.util.OptionalInt.of(5), java.util.OptionalInt.empty()));

        RouterConfig cert = load("  auth: cert\n  tls: { certificate: /c, key: /k, clients: verify-ca, client_ca: /ca }\n"
                + "  endpoints:\n    rw: { port: 6432 }\n").router().orElseThrow();
        assertThat(cert.auth()).isEqualTo(RouterConfig.ClientAuth.CERT);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
            "  auth_query: { password: x }\\n|router.auth_query.user: is required",
            "  auth_query: { user: a, query: select 1 }\\n|router.auth_query.query: must take the user name as $1",
            "  auth_query: { user: a, cache_ttl: 2h }\\n|router.auth_query.cache_ttl: expected at most 1h",
            "  auth_query: { user: a, ttl: 1s }\\n|router.auth_query.ttl: unknown key",
            "  auth: trust\\n  auth_query: { user: a }\\n|router.auth_query: is only used with auth: scram",
            "  auth: cert\\n|router.auth: cert needs client certificates",
            "  auth: trust\\n  tls: { certificate: /c, key: /k, clients: verify-ca }\\n|router.tls.client_ca: is required with clients: verify-ca",
            "  auth: trust\\n  tls: { certificate: /c, key: /k, client_ca: /ca }\\n|router.tls.client_ca: is only read with clients: verify-ca or verify-full",
            "  auth: trust\\n  max_user_connections: -1\\n|router.max_user_connections",
            "  auth: trust\\n  user_limits: { app: { max_user_connections: -1 } }\\n|router.user_limits.app.max_user_connections: expected a whole number from 0 to 100000",
            "  auth: trust\\n  user_limits: { app: { user_pool_size: 10001 } }\\n|router.user_limits.app.user_pool_size: expected a whole number from 0 to 10000",
            "  auth: trust\\n  user_limits: { app: { pool_size: 3 } }\\n|router.user_limits.app.pool_size: unknown key (expected one of: max_user_connections, user_pool_size)",
            "  auth: trust\\n  user_limits: { app: {} }\\n|router.user_limits.app: sets neither max_user_connections nor user_pool_size",
            "  auth: trust\\n  user_limits: { app: }\\n|router.user_limits.app: expected this user's limits",
            "  auth: trust\\n  user_limits: { app: 5 }\\n|router.user_limits.app: expected a mapping",
            "  auth: trust\\n  user_limits: [ app ]\\n|router.user_limits: expected a mapping",
            "  auth: trust\\n  users: { app: { max_user_connections: 5 } }\\n|router.users: unknown key",
    })
    void authAndLimitMistakesAreOneLine(String yaml, String expected) {
        assertThatThrownBy(() -> load(yaml.replace("\\n", "\n") + "  endpoints:\n    rw: { port: 6432 }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected).hasMessageNotContaining("\n");
    }

    @Test
    void aMistakeInAUsersLimitsNamesTheFileAndItsOwnLine() {
        Path p = tmp.resolve("walferry.yaml");
        assertThatThrownBy(() -> load("  auth: trust\n  user_limits:\n    app: { max_user_connections: 5 }\n"
                + "    report: { max_user_connections: five }\n  endpoints:\n    rw: { port: 6432 }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(p + ":" + (CLUSTER.lines().count() + 5) + ": router.user_limits.report.max_user_connections: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void theRouterCommandWithoutARouterSectionIsAConfigurationError() throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, CLUSTER);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.walferry.cli.Main.run(new String[]{"-c", p.toString(), "router"}, new java.io.PrintWriter(out),
                new java.io.PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no router: section in " + p).contains("hint: add one").hasLineCount(1);
    }

    @Test
    void tlsBothWaysAndTheMetricsServer() throws IOException {
        RouterConfig d = load("  auth: trust\n  endpoints:\n    rw: { port: 6432 }\n").router().orElseThrow();
        assertThat(d.tls()).isEmpty();
        assertThat(d.serverTls()).isEqualTo(RouterConfig.ServerTls.DEFAULT);
        assertThat(d.metrics()).isEqualTo(new RouterConfig.Metrics("127.0.0.1", RouterConfig.DEFAULT_METRICS_PORT));

        RouterConfig c = load("""
                  auth: trust
                  tls: { certificate: /etc/r.crt, key: /etc/r.key, clients: require }
                  server_tls: { sslmode: verify-ca, sslrootcert: /etc/ca.crt, allow_plaintext: true }
                  metrics_listen: 0.0.0.0
                  metrics_port: 0
                  endpoints:
                    rw: { port: 6432 }
                """).router().orElseThrow();
        assertThat(c.tls()).contains(new RouterConfig.ClientTls(Path.of("/etc/r.crt"), Path.of("/etc/r.key"), true));
        assertThat(c.serverTls()).isEqualTo(new RouterConfig.ServerTls(java.util.Optional.of("verify-ca"),
                java.util.Optional.of(Path.of("/etc/ca.crt")), true));
        assertThat(c.metrics()).isEqualTo(new RouterConfig.Metrics("0.0.0.0", 0));

        assertThatThrownBy(() -> load("  auth: trust\n  tls: { certificate: /c }\n  endpoints:\n    rw: { port: 6432 }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("router.tls.key: is required");
        assertThatThrownBy(() -> load("  auth: trust\n  tls: { certificate: /c, key: /k, clients: allow }\n  endpoints:\n    rw: { port: 6432 }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("router.tls.clients: expected prefer");
        assertThatThrownBy(() -> load("  auth: trust\n  server_tls: { sslmode: verify }\n  endpoints:\n    rw: { port: 6432 }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("router.server_tls.sslmode: expected one of");
    }
}
