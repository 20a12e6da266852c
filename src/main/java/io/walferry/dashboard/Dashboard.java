package io.walferry.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.backup.RepositoryWatch;
import io.walferry.config.MonitoringConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.ha.HaStatus;
import io.walferry.ha.MemberState;
import io.walferry.ha.StoreView;
import io.walferry.monitor.ClusterStatus;
import io.walferry.monitor.HttpServer;
import io.walferry.monitor.RepositoryState;
import io.walferry.postgres.PgConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * walferry dashboard: a read-only web page of the cluster (bundled in the jar, no CDN) and the document it reads,
 * {@code /api/status}: the nodes as {@code walferry status --output json} has them, what needs attention, each replica's
 * lag over the last ten minutes, the repositories with their backups and PITR window, and HA. The cluster is read every
 * two seconds in the background; every request is answered from the last reading.
 */
public final class Dashboard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration EVERY = Duration.ofSeconds(2);
    private static final Duration REPOSITORY_READS = Duration.ofSeconds(30);

    private final WalferryConfig config;
    private final ClusterStatus status;
    private final RepositoryWatch repositories;
    private final LagHistory history = new LagHistory(Duration.ofMinutes(10));
    private final ScheduledExecutorService timer;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final HttpServer http;
    private volatile byte[] document;

    /** Serves the dashboard on {@code listen:port} (0: any free port), with TLS and basic authentication when given. */
    public Dashboard(WalferryConfig config, String listen, int port, Optional<HttpServer.Tls> tls, Optional<HttpServer.BasicAuth> auth) {
        this.config = config;
        this.status = new ClusterStatus(config, new PgConnector(config.connection()));
        this.repositories = new RepositoryWatch(config, REPOSITORY_READS);
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("dashboard-read").daemon().factory());
        // the first reading before the first request, so that the page never finds the document missing
        read();
        timer.scheduleWithFixedDelay(this::read, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
        byte[] page = asset("index.html");
        Map<String, HttpServer.Handler> routes = Map.of(
                "/", r -> new HttpServer.Response(200, "text/html; charset=utf-8", page),
                "/index.html", r -> new HttpServer.Response(200, "text/html; charset=utf-8", page),
                "/dashboard.js", fixed("text/javascript; charset=utf-8", asset("dashboard.js")),
                "/dashboard.css", fixed("text/css; charset=utf-8", asset("dashboard.css")),
                "/api/status", r -> new HttpServer.Response(200, "application/json", document));
        try {
            this.http = new HttpServer("walferry dashboard (monitoring.dashboard)", listen, port, routes, tls, auth);
        } catch (RuntimeException e) {
            stopReading();
            throw e;
        }
    }

    /** As {@code monitoring.dashboard} configures it. */
    public static Dashboard start(WalferryConfig config) {
        MonitoringConfig.Dashboard d = config.monitoring().dashboard();
        Optional<HttpServer.Tls> tls = d.tlsCert().map(c -> new HttpServer.Tls(c, d.tlsKey().orElseThrow()));
        Optional<HttpServer.BasicAuth> auth = d.username().map(u -> new HttpServer.BasicAuth(u, d.password().orElseThrow().reveal()));
        return new Dashboard(config, d.listen(), d.port(), tls, auth);
    }

    public String url() {
        return http.url() + "/";
    }

    /** Returns once {@link #close()} was called. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    private static HttpServer.Handler fixed(String type, byte[] body) {
        return r -> new HttpServer.Response(200, type, body);
    }

    private static byte[] asset(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        try {
            document = JSON.writeValueAsBytes(document(Instant.now()));
        } catch (RuntimeException | JsonProcessingException e) {
            LOG.warn("reading the cluster for the dashboard failed: {}", e.toString());
        }
    }

    private ObjectNode document(Instant now) {
        List<ClusterStatus.Node> nodes = status.read();
        Optional<HaStatus.Seen> ha = config.ha().map(h -> HaStatus.read(config));
        List<RepositoryState> repos = repositories.latest();
        List<String> replicas = new ArrayList<>();
        for (ClusterStatus.Node n : nodes) {
            if ("replica".equals(n.role())) {
                replicas.add(n.name());
                history.add(n.name(), new LagHistory.Point(now.toEpochMilli(), n.lagBytes(), n.lagSeconds()));
            }
        }
        history.retain(replicas);
        List<String> problems = Attention.of(nodes, repos, ha, config.monitoring().backupMaxAge(), now);
        ObjectNode doc = JSON.createObjectNode();
        doc.put("cluster", config.cluster()).put("time", now.toString()).put("healthy", problems.isEmpty());
        ArrayNode p = doc.putArray("problems");
        problems.forEach(p::add);
        doc.set("nodes", StatusJson.nodes(JSON, nodes, ha));
        ObjectNode h = doc.putObject("history");
        history.snapshot().forEach((node, points) -> {
            ArrayNode a = h.putArray(node);
            for (LagHistory.Point pt : points) {
                ArrayNode x = a.addArray().add(pt.millis());
                if (pt.bytes() == null) {
                    x.addNull();
                } else {
                    x.add(pt.bytes());
                }
                if (pt.seconds() == null) {
                    x.addNull();
                } else {
                    x.add(pt.seconds());
                }
            }
        });
        ArrayNode r = doc.putArray("repositories");
        repos.forEach(repo -> r.add(repository(repo)));
        ha.ifPresentOrElse(seen -> doc.set("ha", ha(seen)), () -> doc.putNull("ha"));
        return doc;
    }

    private static ObjectNode repository(RepositoryState r) {
        ObjectNode o = JSON.createObjectNode().put("name", r.name()).put("readAt", r.readAt().toString());
        o.put("error", r.error().orElse(null));
        o.put("segments", r.segments()).put("storedBytes", r.storedBytes());
        o.put("newestSegment", r.newestSegment().orElse(null));
        o.put("newestWalStored", r.newestWalStored().map(Instant::toString).orElse(null));
        o.put("pitrFrom", r.pitrFrom().map(Instant::toString).orElse(null));
        o.put("pitrTo", r.pitrTo().map(Instant::toString).orElse(null));
        ArrayNode b = o.putArray("backupHistory");
        for (RepositoryState.Backup x : r.backupHistory()) {
            b.addObject().put("id", x.id()).put("start", x.start().toString()).put("stop", x.stop().toString()).put("bytes", x.bytes())
                    .put("pitr", x.pitr());
        }
        return o;
    }

    private static ObjectNode ha(HaStatus.Seen seen) {
        ObjectNode o = JSON.createObjectNode();
        o.put("unavailable", seen.unavailable().orElse(null));
        Optional<StoreView> v = seen.view();
        o.put("leader", v.flatMap(StoreView::leader).orElse(null));
        ArrayNode m = o.putArray("members");
        v.ifPresent(view -> view.members().values().stream().sorted(Comparator.comparing(MemberState::node))
                .forEach(s -> m.addObject().put("node", s.node()).put("decision", s.decision())));
        return o;
    }

    private void stopReading() {
        timer.shutdownNow();
        repositories.close();
    }

    @Override
    public void close() {
        http.close();
        stopReading();
        closed.countDown();
    }
}
