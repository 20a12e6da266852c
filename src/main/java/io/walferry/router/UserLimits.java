package io.walferry.router;

import io.walferry.config.RouterConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The limits per user ({@code max_user_connections}: client connections of one user; {@code user_pool_size}: server
 * connections of one user on one node, over all its pools) and the counts they are checked against. Decides only; the
 * caller refuses the client or keeps it waiting. Runs on the router's event loop only.
 */
final class UserLimits {
    private RouterConfig.UserLimits limits;
    private final Map<String, Integer> clients = new HashMap<>();
    private final Map<List<String>, Integer> servers = new HashMap<>();

    UserLimits(RouterConfig.UserLimits limits) {
        this.limits = limits;
    }

    /** A reload's limits: counts stay; connections over a lowered limit are not ended, new ones wait or are refused. */
    void limits(RouterConfig.UserLimits next) {
        limits = next;
    }

    RouterConfig.UserLimits limits() {
        return limits;
    }

    /** Counts a client of {@code user} in, or says why not (its message names the limit). */
    Optional<String> admitClient(String user) {
        int now = clients.getOrDefault(user, 0);
        if (limits.maxConnections() > 0 && now >= limits.maxConnections()) {
            return Optional.of("too many connections for user \"" + user + "\": it holds " + now
                    + " (router.max_user_connections " + limits.maxConnections() + ")");
        }
        clients.put(user, now + 1);
        return Optional.empty();
    }

    void clientLeft(String user) {
        clients.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
    }

    /** Whether {@code user} may open one more server connection to {@code node}; counts it if so. */
    boolean openServer(String user, String node) {
        List<String> key = List.of(user, node);
        int now = servers.getOrDefault(key, 0);
        if (limits.poolSize() > 0 && now >= limits.poolSize()) {
            return false;
        }
        servers.put(key, now + 1);
        return true;
    }

    void serverGone(String user, String node) {
        servers.computeIfPresent(List.of(user, node), (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Whether {@code user} holds as many server connections to {@code node} as it may. */
    boolean serversFull(String user, String node) {
        return limits.poolSize() > 0 && servers.getOrDefault(List.of(user, node), 0) >= limits.poolSize();
    }

    /** The user limit a client waiting for a server of {@code user} on {@code node} is held back by, for its error. */
    Optional<String> serverLimit(String user, String node) {
        return serversFull(user, node) ? Optional.of("router.user_pool_size " + limits.poolSize() + ": user " + user + " holds "
                + servers.get(List.of(user, node)) + " server connections on node " + node) : Optional.empty();
    }
}
