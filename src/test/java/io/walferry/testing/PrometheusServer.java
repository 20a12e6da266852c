package io.walferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A real Prometheus server (Debian's package, /usr/bin/prometheus) for tests: its own directory and loopback port, scraping
 * the given targets every second. Killed on close.
 */
public final class PrometheusServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/prometheus");
    public static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final int port;

    private PrometheusServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts Prometheus in {@code dir}, scraping {@code targets} (host:port) every second, with {@code ruleFiles} loaded. */
    public static PrometheusServer start(Path dir, List<String> targets, List<Path> ruleFiles) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("no " + BINARY + ": install Debian's prometheus package (./run-tests does)");
        }
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: [%s]
                    scrape_configs:
                      - job_name: walferry
                        static_configs:
                          - targets: [%s]
                    """.formatted(ruleFiles.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", ")),
                    targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "))));
            int port = PgCluster.allocatePort();
            Path log = dir.resolve("prometheus.log");
            Process p = new ProcessBuilder(BINARY.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusServer s = new PrometheusServer(p, log, port);
            Await.until(Duration.ofSeconds(60), "Prometheus to be ready (log: " + log + ")", () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("prometheus exited with " + p.exitValue() + ":\n" + s.log());
                }
                return s.get("/-/ready").statusCode() == 200;
            });
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** The value of an instant query's first sample; empty when it returns none. */
    public Optional<Double> query(String promql) {
        JsonNode r = queryJson(promql);
        JsonNode result = r.path("data").path("result");
        if (!result.isArray() || result.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Double.parseDouble(result.get(0).path("value").get(1).asText()));
    }

    /** An instant query's whole answer. */
    public JsonNode queryJson(String promql) {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            JsonNode body = JSON.readTree(r.body());
            if (!"success".equals(body.path("status").asText())) {
                throw new AssertionError("query " + promql + " failed: " + r.body());
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** promtool with {@code args}, {@code stdin} as its input: its exit code and output. */
    public static WalferryFixture.Result promtool(String stdin, String... args) {
        try {
            Path in = Files.createTempFile("promtool-in-", ".txt");
            try {
                Files.writeString(in, stdin == null ? "" : stdin);
                List<String> cmd = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
                cmd.addAll(List.of(args));
                Path out = Files.createTempFile("promtool-out-", ".txt");
                try {
                    Process p = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                    if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new AssertionError("promtool timed out: " + cmd);
                    }
                    return new WalferryFixture.Result(p.exitValue(), Files.readString(out), "");
                } finally {
                    Files.deleteIfExists(out);
                }
            } finally {
                Files.deleteIfExists(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
