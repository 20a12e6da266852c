package io.walferry.cli;

import io.walferry.agent.AgentStreams;
import io.walferry.agent.ArchiveAgent;
import io.walferry.backup.RepositoryWatch;
import io.walferry.backup.RestoreRecord;
import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.ha.Decision;
import io.walferry.ha.HaLoop;
import io.walferry.ha.HaService;
import io.walferry.logical.StreamStatus;
import io.walferry.logical.StreamWatch;
import io.walferry.monitor.AgentMetrics;
import io.walferry.monitor.HaState;
import io.walferry.monitor.HttpServer;
import io.walferry.monitor.LogicalStreamState;
import io.walferry.postgres.PgBinaries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** The long-running agent of one node; stops cleanly on SIGTERM or SIGINT. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = {
        "Run the node's agent: pushes WAL ahead of archive_command, in parallel.",
        "Serves GET /metrics (Prometheus' text format) on monitoring.listen and the node's metrics_port (see docs/monitoring.md)."})
final class AgentCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);
    /** How often the agent lists the repositories for its metrics. */
    private static final Duration REPOSITORY_READS = Duration.ofSeconds(60);
    /** How often it reads the logical streams it reports (two connections each). */
    private static final Duration STREAM_READS = Duration.ofSeconds(10);

    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        NodeConfig node = ctx.node();
        AgentMetrics metrics = new AgentMetrics(config, node);
        ArchiveAgent agent;
        try {
            agent = new ArchiveAgent(config, node, ctx.env(), kind -> ExitCode.of(kind).code(), metrics.archive());
        } catch (RuntimeException e) {
            metrics.close();
            throw e;
        }
        metrics.backlog(agent::backlog);
        RepositoryWatch repositories = new RepositoryWatch(config, REPOSITORY_READS);
        metrics.repositories(repositories::latest);
        metrics.restore(() -> RestoreRecord.read(node.dataDirectory()));
        HttpServer http = serveMetrics(config, node, metrics);
        // With ha: configured, the agent is also the node's member of the HA cluster.
        HaService ha = config.ha().isPresent() ? HaService.start(config, node,
                PgBinaries.find(Optional.ofNullable(main.options.pgBin), node.binDirectory()), ctx.restoreCommand()) : null;
        // Streams with run: agent: applied by the agent of the source's primary (with ha, the leader).
        AgentStreams logical = new AgentStreams(config, node, ha != null, () -> ha != null && ha.loop().leader());
        List<LogicalStreamConfig> reported = StreamWatch.reportedBy(config.logical(), config.nodes(), node.name());
        StreamWatch streams = new StreamWatch(() -> Stream.concat(reported.stream(), logical.running().stream()),
                !reported.isEmpty() || config.logical().stream().anyMatch(l -> l.run() == LogicalStreamConfig.RunBy.AGENT), STREAM_READS);
        metrics.streams(() -> streams.latest().stream().map(AgentCommand::streamState).toList());
        if (ha != null) {
            HaLoop loop = ha.loop();
            metrics.ha(() -> {
                Decision d = loop.lastDecision();
                return Optional.of(new HaState(loop.leader(), d.action().name().toLowerCase(Locale.ROOT), d.why()));
            });
        }
        Thread stopper = new Thread(agent::close, "agent-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            agent.run();
        } finally {
            logical.close();
            if (ha != null) {
                ha.close();
            }
            agent.close();
            if (http != null) {
                http.close();
            }
            repositories.close();
            streams.close();
            metrics.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it closed the agent
            }
        }
        return 0;
    }

    private static LogicalStreamState streamState(StreamWatch.Reading r) {
        StreamStatus s = r.status();
        return new LogicalStreamState(s.stream(), r.at(), s.phase(), s.running(), s.sourceError().isEmpty() && s.targetError().isEmpty(),
                s.lastError().isPresent() && !s.running(), s.behindBytes(), s.applyLagSeconds(), s.retainedBytes());
    }

    /** The agent's HTTP server; archiving goes on without it when its port is taken (said in the log). */
    private static HttpServer serveMetrics(WalferryConfig config, NodeConfig node, AgentMetrics metrics) {
        String listen = config.monitoring().listen();
        int port = config.monitoring().metricsPort(node.name());
        try {
            HttpServer http = new HttpServer("the agent's metrics", listen, port, Map.of("/metrics", metrics.handler()),
                    Optional.empty(), Optional.empty());
            LOG.info("metrics of node {} on {}/metrics", node.name(), http.url());
            return http;
        } catch (WalferryException e) {
            LOG.error("{}; archiving goes on without metrics (hint: set metrics_port of node {} to a free port)", e.getMessage(), node.name());
            return null;
        }
    }
}
