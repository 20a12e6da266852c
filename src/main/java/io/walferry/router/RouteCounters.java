package io.walferry.router;

import io.walferry.config.RouterConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What each endpoint sent to each node, counted as it happens. Runs on the router's event loop only. */
final class RouteCounters {
    /** One endpoint's counts for one node; a client keeps the one of its current server, to count its requests. */
    static final class Counts {
        long transactions;
        long queries;
        long waitNanos;
    }

    private final Map<RouterConfig.Role, Map<String, Counts>> counts = new java.util.EnumMap<>(RouterConfig.Role.class);
    private final Map<String, Long> exclusions = new HashMap<>();

    /** A client of {@code endpoint} was given a server connection to {@code node} after waiting {@code waitNanos}. */
    Counts granted(RouterConfig.Role endpoint, String node, long waitNanos) {
        // nothing allocated once an endpoint has sent to a node: this runs for every transaction in transaction mode
        Map<String, Counts> byNode = counts.get(endpoint);
        if (byNode == null) {
            byNode = new HashMap<>();
            counts.put(endpoint, byNode);
        }
        Counts c = byNode.get(node);
        if (c == null) {
            c = new Counts();
            byNode.put(node, c);
        }
        c.transactions++;
        c.waitNanos += waitNanos;
        return c;
    }

    void excluded(String node) {
        exclusions.merge(node, 1L, Long::sum);
    }

    Map<String, Long> exclusions() {
        return Map.copyOf(exclusions);
    }

    List<RouterStats.Route> routes() {
        List<RouterStats.Route> out = new ArrayList<>();
        counts.forEach((endpoint, byNode) -> byNode.forEach((node, c) -> out.add(new RouterStats.Route(
                endpoint.name().toLowerCase(java.util.Locale.ROOT), node, c.transactions, c.queries, c.waitNanos / 1e9))));
        out.sort(Comparator.comparing(RouterStats.Route::endpoint).thenComparing(RouterStats.Route::node));
        return out;
    }
}
