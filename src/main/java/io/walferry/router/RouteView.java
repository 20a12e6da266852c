package io.walferry.router;

import io.walferry.config.NodeConfig;
import io.walferry.postgres.Lsn;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the router sends work now: the primary (none during a failover or while the nodes disagree) and the replicas
 * fit to serve reads, each decided by the cluster watcher from one round of probes; with how far each of those replicas
 * had replayed (for read-your-writes) and the functions known not to write (for the auto endpoint).
 */
record RouteView(Optional<NodeConfig> primary, List<NodeConfig> readable, Map<String, Lsn> replayed, ReadOnlyFunctions functions) {
    static final RouteView NONE = new RouteView(Optional.empty(), List.of());

    RouteView {
        readable = List.copyOf(readable);
        replayed = Map.copyOf(replayed);
    }

    RouteView(Optional<NodeConfig> primary, List<NodeConfig> readable) {
        this(primary, readable, Map.of(), ReadOnlyFunctions.BUILT_IN_ONLY);
    }
}
