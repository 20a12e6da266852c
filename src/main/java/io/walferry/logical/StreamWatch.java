package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reads the logical streams a node's agent reports every {@code every}, in the background, as {@code walferry logical
 * status} reads them ({@link StreamStatus}: a connection to each side per reading), for the agent's metrics: a scrape
 * serves the last reading.
 */
public final class StreamWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamWatch.class);

    /** A stream as last read, and when. */
    public record Reading(StreamStatus status, Instant at) {
    }

    private final Supplier<List<LogicalStreamConfig>> streams;
    private final ScheduledExecutorService timer;
    private volatile List<Reading> latest = List.of();

    public StreamWatch(List<LogicalStreamConfig> streams, Duration every) {
        this(List.copyOf(streams)::stream, !streams.isEmpty(), every);
    }

    /**
     * {@code streams}: asked at each reading (the streams an agent runs change as its node gains or loses the primary);
     * {@code any}: whether it may ever name one.
     */
    public StreamWatch(Supplier<java.util.stream.Stream<LogicalStreamConfig>> streams, boolean any, Duration every) {
        this.streams = () -> streams.get().toList();
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("logical-watch").daemon().factory());
        if (any) {
            timer.scheduleWithFixedDelay(this::readAll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The streams {@code node}'s agent reports, so that each is reported once in a cluster: those whose source is the
     * node; a stream whose source is not a node of the cluster, by its target's agent; one with neither side a node, by
     * the first configured node's. A stream run by the agents ({@code run: agent}) is reported by the agent that runs it.
     */
    public static List<LogicalStreamConfig> reportedBy(List<LogicalStreamConfig> streams, List<NodeConfig> nodes, String node) {
        Set<String> names = nodes.stream().map(NodeConfig::name).collect(Collectors.toSet());
        String first = nodes.isEmpty() ? "" : nodes.get(0).name();
        List<LogicalStreamConfig> out = new ArrayList<>();
        for (LogicalStreamConfig s : streams) {
            if (s.run() == LogicalStreamConfig.RunBy.AGENT) {
                continue;
            }
            Optional<String> source = s.source().node().filter(names::contains);
            Optional<String> target = s.target().node().filter(names::contains);
            String reporter = source.or(() -> target).orElse(first);
            if (reporter.equals(node)) {
                out.add(s);
            }
        }
        return out;
    }

    public List<Reading> latest() {
        return latest;
    }

    private void readAll() {
        List<Reading> out = new ArrayList<>();
        for (LogicalStreamConfig s : streams.get()) {
            Instant at = Instant.now();
            try {
                out.add(new Reading(StreamStatus.read(new StreamServers(s)), at));
            } catch (RuntimeException e) {
                LOG.warn("reading logical stream {} failed: {}", s.name(), e.toString());
            }
        }
        latest = List.copyOf(out);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
