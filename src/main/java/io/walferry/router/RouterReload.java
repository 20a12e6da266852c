package io.walferry.router;

import io.walferry.config.RouterConfig;
import io.walferry.config.WalferryConfig;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a reload may change: everything but what the running router is built around (its sockets, nodes and HA). */
final class RouterReload {
    private RouterReload() {
    }

    /** Why {@code next} cannot be taken on without a restart, or empty. */
    static Optional<String> needsRestart(WalferryConfig before, WalferryConfig next) {
        RouterConfig a = before.router().orElseThrow();
        RouterConfig b = next.router().orElseThrow();
        if (!before.cluster().equals(next.cluster())) {
            return Optional.of("cluster changed");
        }
        if (!before.nodes().equals(next.nodes())) {
            return Optional.of("nodes changed");
        }
        if (!before.ha().equals(next.ha())) {
            return Optional.of("ha changed");
        }
        if (!before.connection().equals(next.connection())) {
            return Optional.of("connection changed");
        }
        if (!a.listen().equals(b.listen())) {
            return Optional.of("router.listen changed");
        }
        if (!ports(a).equals(ports(b))) {
            return Optional.of("router.endpoints' ports changed");
        }
        if (!a.metrics().equals(b.metrics())) {
            return Optional.of("router.metrics_listen or metrics_port changed");
        }
        if (!a.checkInterval().equals(b.checkInterval())) {
            return Optional.of("router.check_interval changed");
        }
        return Optional.empty();
    }

    private static List<String> ports(RouterConfig c) {
        return c.endpoints().stream().map(e -> e.role() + ":" + e.port()).sorted().toList();
    }

    /** The settings that differ, by name ("none" if no one does). */
    static String changes(RouterConfig before, RouterConfig next) {
        List<String> out = new ArrayList<>();
        for (RecordComponent c : RouterConfig.class.getRecordComponents()) {
            try {
                if (!Objects.equals(c.getAccessor().invoke(before), c.getAccessor().invoke(next))) {
                    out.add(c.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
                }
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(e); // a record's accessors are public and throw nothing
            }
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }
}
