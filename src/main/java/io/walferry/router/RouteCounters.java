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

    private record Key(RouterConfig.Role endpoint, String node) {
    }

    private final Map<Key, Counts> counts = new HashMap<>();
    private final Map<String, Long> exclusions = new HashMap<>();

    /** A client of {@code endpoint} was given a server connection to {@code node} after waiting {@code waitNanos}. */
    Counts granted(RouterConfig.Role endpoint, String node, long waitNanos) {
        Counts c = counts.computeIfAbsent(new Key(endpoint, node), k -> new Counts());
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
        counts.forEach((k, c) -> out.add(new RouterStats.Route(k.endpoint().name().toLowerCase(java.util.Locale.ROOT), k.node(),
                c.transactions, c.queries, c.waitNanos / 1e9)));
        out.sort(Comparator.comparing(RouterStats.Route::endpoint).thenComparing(RouterStats.Route::node));
        return out;
    }
}
