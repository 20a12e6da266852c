package io.walferry.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.Chromium;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * walferry dashboard opened in a real headless Chromium: it shows every node of a running cluster (a primary, a streaming
 * and an archive-only replica) with the lag walferry status --output json reports, follows a replica whose replay is
 * paused, logs no error in the browser, and serves its page from the jar (no CDN), read-only, on loopback. The screenshot
 * is kept in target/it-artifacts/dashboard.png.
 */
@ExtendWith(PgLogOnFailure.class)
class DashboardIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private PgCluster primary;
    private PgCluster streaming;
    private PgCluster archiveOnly;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-dashboard-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{archiveOnly, streaming, primary}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    @Test
    void chromiumShowsEveryNodeWithTheLagStatusReportsAndFollowsAPausedReplica() throws Exception {
        primary = PgCluster.init(dir, "us-east-1");
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), primary, "  workers: 2\n");
        wf.enableArchiving(primary);
        primary.set("autovacuum", "off");
        primary.start();
        streaming = PgCluster.existing(dir, "eu-west-1");
        archiveOnly = PgCluster.existing(dir, "ap-south-1");
        int port = PgCluster.allocatePort();
        wf.writeConfig(List.of(primary, streaming, archiveOnly), "  workers: 2\n");
        wf.nodeKeys(Map.of(), "monitoring:\n  dashboard:\n    port: " + port + "\n");
        ok(wf, "repo-create", "--node", "us-east-1");
        primary.execute("create table t (id bigint primary key, note text)");
        primary.execute("insert into t select g, 'before' from generate_series(1, 10000) g");
        ok(wf, "backup", "--node", "us-east-1");
        ok(wf, "replica", "create", "--node", "eu-west-1", "--mode", "streaming");
        ok(wf, "replica", "create", "--node", "ap-south-1", "--mode", "archive");

        try (AgentProcess dashboard = wf.startDashboard();
             Chromium browser = Chromium.start(dir.resolve("chromium"), 1400, 1100)) {
            Matcher m = Pattern.compile("walferry dashboard of cluster test: (\\S+)").matcher(dashboard.log());
            assertThat(m.find()).as(dashboard.log()).isTrue();
            String url = m.group(1);
            assertThat(url).isEqualTo("http://127.0.0.1:" + port + "/");

            // served from the jar, read-only
            HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).doesNotContainPattern("(src|href)=\"(https?:)?//");
            assertThat(page.headers().firstValue("content-security-policy").orElse("")).contains("default-src 'self'");
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(url + "api/status"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            browser.open(url);
            Await.until(Duration.ofSeconds(30), "the page to show the three nodes",
                    () -> browser.evaluate("document.querySelectorAll('#map .node').length").asInt() == 3);
            JsonNode status = status(wf);
            for (JsonNode n : status) {
                String name = n.path("name").asText();
                JsonNode shown = node(browser, name);
                assertThat(shown.path("role").asText()).as(name).isEqualTo(n.path("role").asText());
            }
            assertThat(browser.evaluate("document.getElementById('cluster').textContent").asText()).isEqualTo("test");
            assertThat(browser.evaluate("document.querySelector('#map [data-link=\"ap-south-1\"]').textContent").asText())
                    .startsWith("from the archive");
            assertThat(browser.evaluate("document.querySelector('#map [data-link=\"eu-west-1\"]').textContent").asText())
                    .startsWith("streams");
            Await.until(Duration.ofSeconds(60), "the backup on the timeline",
                    () -> browser.evaluate("document.querySelectorAll('#backups [data-backup]').length").asInt() == 1);
            assertThat(browser.evaluate("document.querySelectorAll('#slots tbody tr').length").asInt()).isEqualTo(1);

            // the streaming replica's replay paused under writes: the page shows the lag that status reports
            streaming.execute("select pg_wal_replay_pause()");
            primary.execute("insert into t select g, 'after' from generate_series(10001, 60000) g");
            Await.until(Duration.ofSeconds(60), "the page to show the lag of the paused replica that status reports", () -> {
                JsonNode shown = node(browser, "eu-west-1");
                long reported = byName(status(wf), "eu-west-1").path("lagBytes").asLong(-1);
                return reported > 0 && shown.path("lagBytes").asLong(-2) == reported;
            });
            Await.until(Duration.ofSeconds(30), "the lag chart to draw the paused replica",
                    () -> browser.evaluate("document.querySelectorAll('#lag-bytes polyline').length").asInt() >= 1);
            assertThat(browser.evaluate("document.querySelector('#map [data-link=\"eu-west-1\"]').textContent").asText())
                    .doesNotContain("lag 0 B");

            Path shot = Path.of("target", "it-artifacts", "dashboard.png");
            browser.screenshot(shot);
            assertThat(Files.size(shot)).isGreaterThan(10_000);
            assertThat(browser.errors()).as("errors the page logged").isEmpty();
            streaming.execute("select pg_wal_replay_resume()");
            assertThat(dashboard.isAlive()).isTrue();
        }
    }

    /** A node as the page shows it: its role and lag, from the map's data attributes. */
    private static JsonNode node(Chromium browser, String name) {
        return browser.evaluate("(() => { const g = document.querySelector('#map .node[data-node=\"" + name + "\"]'); "
                + "return g ? {role: g.dataset.role, lagBytes: g.dataset.lagBytes === '' ? null : Number(g.dataset.lagBytes)} : {}; })()");
    }

    private static JsonNode status(WalferryFixture wf) throws IOException {
        Result r = wf.run("status", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isIn(0, 1);
        return JSON.readTree(r.out());
    }

    private static JsonNode byName(JsonNode nodes, String name) {
        for (JsonNode n : nodes) {
            if (name.equals(n.path("name").asText())) {
                return n;
            }
        }
        throw new AssertionError("status has no node " + name + ": " + nodes);
    }

    private static Result ok(WalferryFixture wf, String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }
}
