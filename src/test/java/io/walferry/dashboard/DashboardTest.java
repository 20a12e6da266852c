package io.walferry.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.testing.PgCluster;
import io.walferry.testing.SelfSignedCertificate;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * walferry dashboard as monitoring.dashboard configures it, over HTTPS with basic authentication, for a cluster whose
 * node does not answer: the page and the status need the credentials, and the status says what needs attention.
 */
class DashboardTest {
    private Path dir;
    private Dashboard dashboard;

    @AfterEach
    void tearDown() {
        if (dashboard != null) {
            dashboard.close();
        }
        TempDirs.deleteTree(dir);
    }

    @Test
    void withTlsAndCredentialsConfiguredEveryRequestNeedsThemAndADownNodeNeedsAttention() throws Exception {
        dir = TempDirs.create("wf-dashboard-tls-");
        SelfSignedCertificate cert = SelfSignedCertificate.make(dir);
        Path password = dir.resolve("dashboard.password");
        Files.writeString(password, "s3cret");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        int closed = PgCluster.allocatePort(); // nothing listens there: the node is down
        int port = PgCluster.allocatePort();
        Path config = dir.resolve("walferry.yaml");
        Files.writeString(config, """
                cluster: c
                nodes: [{name: a, host: 127.0.0.1, port: %d, data_directory: %s}]
                repositories: [{name: r, type: fs, path: %s}]
                monitoring:
                  dashboard: {port: %d, tls_cert: %s, tls_key: %s, username: ops, password: "${file:%s}"}
                """.formatted(closed, dir.resolve("a"), dir.resolve("repo"), port, cert.certificate(), cert.key(), password));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        WalferryConfig c = new ConfigLoader(Map.of()).load(config);

        dashboard = Dashboard.start(c);
        assertThat(dashboard.url()).isEqualTo("https://127.0.0.1:" + port + "/");
        HttpClient https = HttpClient.newBuilder().sslContext(cert.trustingClient()).build();
        assertThat(get(https, dashboard.url(), null).statusCode()).isEqualTo(401);
        assertThat(get(https, dashboard.url() + "api/status", "ops:guess").statusCode()).isEqualTo(401);
        HttpResponse<String> page = get(https, dashboard.url(), "ops:s3cret");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"dashboard.js\"");
        assertThat(get(https, dashboard.url() + "dashboard.js", "ops:s3cret").statusCode()).isEqualTo(200);
        HttpResponse<String> status = get(https, dashboard.url() + "api/status", "ops:s3cret");
        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode doc = new ObjectMapper().readTree(status.body());
        assertThat(doc.path("cluster").asText()).isEqualTo("c");
        assertThat(doc.path("healthy").asBoolean()).isFalse();
        assertThat(doc.path("nodes").get(0).path("state").asText()).isEqualTo("down");
        assertThat(doc.path("problems").toString()).contains("a is down").contains("no writable primary");
        assertThat(status.body()).doesNotContain("s3cret");
    }

    private static HttpResponse<String> get(HttpClient c, String url, String credentials) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (credentials != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes()));
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
