package io.walferry.monitor;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.testing.SelfSignedCertificate;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The read-only HTTP server of the agents' metrics and the dashboard, on a real Netty server: methods, paths, basic auth, TLS. */
class HttpServerTest {
    private static final Map<String, HttpServer.Handler> ROUTES = Map.of("/page", r -> HttpServer.Response.of(200, "text/plain", "hello"));
    private HttpServer server;
    private Path dir;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            TempDirs.deleteTree(dir);
        }
    }

    private static HttpResponse<String> send(HttpClient c, String url, String method, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody());
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String userPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes());
    }

    @Test
    void itServesItsPathsReadOnly() throws Exception {
        server = new HttpServer("test", "127.0.0.1", 0, ROUTES, Optional.empty(), Optional.empty());
        HttpClient c = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        assertThat(server.url()).isEqualTo(base);
        HttpResponse<String> page = send(c, base + "/page", "GET", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).isEqualTo("hello");
        assertThat(page.headers().firstValue("content-security-policy").orElse("")).contains("default-src 'self'");
        assertThat(page.headers().firstValue("x-content-type-options")).contains("nosniff");
        HttpResponse<String> head = send(c, base + "/page", "HEAD", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(send(c, base + "/page", "POST", null).statusCode()).isEqualTo(405);
        assertThat(send(c, base + "/page", "DELETE", null).statusCode()).isEqualTo(405);
        assertThat(send(c, base + "/nosuch", "GET", null).statusCode()).isEqualTo(404);
    }

    @Test
    void withCredentialsEveryRequestNeedsThem() throws Exception {
        server = new HttpServer("test", "127.0.0.1", 0, ROUTES, Optional.empty(), Optional.of(new HttpServer.BasicAuth("ops", "s3cret")));
        HttpClient c = HttpClient.newHttpClient();
        String url = "http://127.0.0.1:" + server.port() + "/page";
        HttpResponse<String> none = send(c, url, "GET", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate").orElse("")).startsWith("Basic realm=");
        assertThat(send(c, url, "GET", basic("ops:guess")).statusCode()).isEqualTo(401);
        assertThat(send(c, url, "GET", basic("ops:s3cret")).statusCode()).isEqualTo(200);
        assertThat(new HttpServer.BasicAuth("ops", "s3cret").toString()).doesNotContain("s3cret");
    }

    @Test
    void withACertificateItSpeaksTlsOnly() throws Exception {
        dir = TempDirs.create("wf-http-tls-");
        SelfSignedCertificate cert = SelfSignedCertificate.make(dir);
        server = new HttpServer("test", "127.0.0.1", 0, ROUTES, Optional.of(new HttpServer.Tls(cert.certificate(), cert.key())), Optional.empty());
        assertThat(server.url()).startsWith("https://127.0.0.1:");
        HttpClient trusting = HttpClient.newBuilder().sslContext(cert.trustingClient()).build();
        assertThat(send(trusting, server.url() + "/page", "GET", null).body()).isEqualTo("hello");
        assertThatThrownBy(() -> send(HttpClient.newHttpClient(), "http://127.0.0.1:" + server.port() + "/page", "GET", null))
                .as("plain HTTP to a TLS server").isInstanceOf(IOException.class);
    }

    @Test
    void aCertificateItCannotUseIsRefusedInOneLine() throws Exception {
        dir = TempDirs.create("wf-http-badtls-");
        Files.writeString(dir.resolve("cert.pem"), "not a certificate");
        Files.writeString(dir.resolve("key.pem"), "not a key");
        assertThatThrownBy(() -> new HttpServer("the dashboard", "127.0.0.1", 0, ROUTES,
                Optional.of(new HttpServer.Tls(dir.resolve("cert.pem"), dir.resolve("key.pem"))), Optional.empty()))
                .hasMessageStartingWith("the dashboard: cannot use the TLS certificate " + dir.resolve("cert.pem"));
    }

    @Test
    void aPortInUseIsAClearConfigurationError() {
        server = new HttpServer("test", "127.0.0.1", 0, ROUTES, Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> new HttpServer("the agent's metrics", "127.0.0.1", server.port(), ROUTES, Optional.empty(), Optional.empty()))
                .isInstanceOf(WalferryException.class)
                .hasMessage("cannot serve the agent's metrics on 127.0.0.1:" + server.port() + ": Address already in use")
                .extracting(e -> ((WalferryException) e).kind()).isEqualTo(Failure.CONFIG);
    }
}
