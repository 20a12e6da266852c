package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.config.Secret;
import io.walferry.postgres.NodeState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST API's status codes, its basic authentication of POSTs, and TLS, on a real Netty server. */
class HaApiTest {
    private HaApi api;
    private String accepted;

    @AfterEach
    void tearDown() {
        if (api != null) {
            api.close();
        }
    }

    private HaApi.Source source(boolean primaryLeader) {
        return new HaApi.Source() {
            @Override
            public boolean leader() {
                return primaryLeader;
            }

            @Override
            public Optional<NodeState> local() {
                return Optional.empty();
            }

            @Override
            public Optional<StoreView> view() {
                return Optional.empty();
            }

            @Override
            public Decision decision() {
                return Decision.of(Decision.Action.NONE, "testing");
            }

            @Override
            public boolean acceptFailsafe(String leader) {
                accepted = leader;
                return true;
            }

            @Override
            public boolean requestSwitchover(String to) {
                return true;
            }
        };
    }

    private static int send(HttpClient c, String url, String method, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody());
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aStoppedServerIsNeitherHealthyNorPrimaryAndPostsNeedTheCredentials() throws Exception {
        HaConfig.Api conf = new HaConfig.Api("127.0.0.1", Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("ops"),
                Optional.of(new Secret("s3cret", "test")));
        api = new HaApi(conf, 0, source(false));
        HttpClient c = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + api.port();
        assertThat(send(c, base + "/health", "GET", null)).isEqualTo(503);
        assertThat(send(c, base + "/primary", "GET", null)).isEqualTo(503);
        assertThat(send(c, base + "/member", "GET", null)).isEqualTo(200);
        assertThat(send(c, base + "/nosuch", "GET", null)).isEqualTo(404);
        assertThat(send(c, base + "/failsafe?leader=pg1", "POST", null)).isEqualTo(401);
        String wrong = "Basic " + Base64.getEncoder().encodeToString("ops:guess".getBytes());
        assertThat(send(c, base + "/switchover?to=pg2", "POST", wrong)).isEqualTo(401);
        assertThat(accepted).isNull();
        String right = "Basic " + Base64.getEncoder().encodeToString("ops:s3cret".getBytes());
        assertThat(send(c, base + "/failsafe?leader=pg1", "POST", right)).isEqualTo(200);
        assertThat(accepted).isEqualTo("pg1");
        assertThat(send(c, base + "/switchover?to=pg2", "POST", right)).isEqualTo(202);
        assertThat(new MemberApiClient(conf, java.time.Duration.ofSeconds(2)).failsafe(base, "pg3")).isTrue();
        assertThat(accepted).isEqualTo("pg3");
    }

    @Test
    void withACertificateTheApiSpeaksTlsAndMembersVerifyItWithTheCa() throws Exception {
        Path dir = Files.createTempDirectory("wf-api-tls");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.resolve("key.pem").toString(), "-out",
                dir.resolve("cert.pem").toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("openssl made a certificate").isTrue();
        HaConfig.Api conf = new HaConfig.Api("127.0.0.1", Optional.of(dir.resolve("cert.pem")), Optional.of(dir.resolve("key.pem")),
                Optional.of(dir.resolve("cert.pem")), Optional.empty(), Optional.empty());
        api = new HaApi(conf, 0, source(false));
        assertThat(new MemberApiClient(conf, java.time.Duration.ofSeconds(5)).failsafe("https://127.0.0.1:" + api.port(), "pg1")).isTrue();
        assertThat(new MemberApiClient(HaConfig.Api.LOOPBACK, java.time.Duration.ofSeconds(5)).failsafe("http://127.0.0.1:" + api.port(), "pg1"))
                .as("plain HTTP to a TLS API").isFalse();
    }
}
