package io.walferry.router;

import io.walferry.config.NodeConfig;

import java.util.List;
import java.util.Optional;

/**
 * Where the router sends work now: the primary (none during a failover or while the nodes disagree) and the replicas
 * fit to serve reads, each decided by the cluster watcher from one round of probes.
 */
record RouteView(Optional<NodeConfig> primary, List<NodeConfig> readable) {
    static final RouteView NONE = new RouteView(Optional.empty(), List.of());

    RouteView {
        readable = List.copyOf(readable);
    }
}
