package io.walferry.monitor;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgConnector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Everything one agent serves on {@code GET /metrics}, in Prometheus' text format: its node ({@link NodeMetrics}, from
 * what {@link NodeReader} and the parts above last read), its pushes ({@link ArchiveMetrics}), and its process (CPU,
 * resident memory, JVM memory). Every series carries the labels
 * {@code cluster} and {@code node}. The parts the agent and HA fill in are given after construction.
 */
public final class AgentMetrics implements AutoCloseable {
    private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ArchiveMetrics archive;
    private final NodeConnection connection;
    private final PrimarySampler primary;
    private final NodeReader reader;
    private volatile Supplier<ArchiveBacklog> backlog = () -> ArchiveBacklog.NONE;
    private volatile Supplier<List<RepositoryState>> repositories = List::of;
    private volatile Supplier<List<LogicalStreamState>> streams = List::of;
    private volatile Supplier<Optional<RestoreState>> restore = Optional::empty;
    private volatile Supplier<Optional<HaState>> ha = Optional::empty;

    public AgentMetrics(WalferryConfig config, NodeConfig node) {
        Labels common = Labels.of("cluster", config.cluster(), "node", node.name());
        PgConnector pg = new PgConnector(config.connection());
        this.archive = new ArchiveMetrics(registry, common);
        this.connection = new NodeConnection(pg, node);
        this.primary = new PrimarySampler(config, pg, Duration.ofSeconds(1));
        this.reader = new NodeReader(connection, primary, () -> backlog.get(), () -> restore.get(), Duration.ofSeconds(1));
        registry.register(new NodeMetrics(node, common, new NodeMetrics.Sources(reader::latest, () -> repositories.get(),
                () -> streams.get(), () -> ha.get())));
        ProcessMetrics.builder().constLabels(common).register(registry);
        JvmMemoryMetrics.builder().constLabels(common).register(registry);
    }

    public ArchiveMetrics archive() {
        return archive;
    }

    /** The agent's .ready backlog; read with the node every second, in the background. */
    public void backlog(Supplier<ArchiveBacklog> s) {
        backlog = s;
    }

    public void repositories(Supplier<List<RepositoryState>> s) {
        repositories = s;
    }

    /** The logical streams this node's agent reports, as last read (not read at scrape time). */
    public void streams(Supplier<List<LogicalStreamState>> s) {
        streams = s;
    }

    /** The restore that made the node's data directory, if one is recorded; read with the node every second, in the background. */
    public void restore(Supplier<Optional<RestoreState>> s) {
        restore = s;
    }

    public void ha(Supplier<Optional<HaState>> s) {
        ha = s;
    }

    /** One scrape, as the text format. */
    public byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        TEXT.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toByteArray();
    }

    /** The {@code /metrics} endpoint. */
    public HttpServer.Handler handler() {
        return request -> new HttpServer.Response(200, PrometheusTextFormatWriter.CONTENT_TYPE, scrape());
    }

    @Override
    public void close() {
        reader.close();
        primary.close();
        connection.close();
    }
}
