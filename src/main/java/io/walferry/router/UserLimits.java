package io.walferry.router;

import io.walferry.config.RouterConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The limits per user ({@code max_user_connections}: client connections of one user; {@code user_pool_size}: server
 * connections of one user on one node, over all its pools), each the global value or the user's own
 * ({@code user_limits}), and the counts they are checked against. Decides only; the
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
        RouterConfig.UserLimits.Limit limit = limits.clients(user);
        if (limit.reached(now)) {
            return Optional.of("too many connections for user \"" + user + "\": it holds " + now + " (" + limit.key() + " " + limit.value() + ")");
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
        if (limits.servers(user).reached(now)) {
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
        return limits.servers(user).reached(servers.getOrDefault(List.of(user, node), 0));
    }

    /** Whether {@code user}'s server connections are limited at all (else no pool waits on the user's others). */
    boolean limitsServers(String user) {
        return limits.servers(user).value() > 0;
    }

    /** The user limit a client waiting for a server of {@code user} on {@code node} is held back by, for its error. */
    Optional<String> serverLimit(String user, String node) {
        RouterConfig.UserLimits.Limit limit = limits.servers(user);
        return serversFull(user, node) ? Optional.of(limit.key() + " " + limit.value() + ": user " + user + " holds "
                + servers.get(List.of(user, node)) + " server connections on node " + node) : Optional.empty();
    }
}
