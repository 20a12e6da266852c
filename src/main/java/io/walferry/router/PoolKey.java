package io.walferry.router;

import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;

import java.util.Map;
import java.util.TreeMap;

/**
 * Server connections are shared by clients that would have opened the same one: the same server, user, database,
 * start-up settings (client_encoding, DateStyle, options, ...) and pool mode.
 */
record PoolKey(NodeConfig node, String user, String database, Map<String, String> settings, RouterConfig.PoolMode mode) {
    PoolKey {
        settings = Map.copyOf(new TreeMap<>(settings));
    }

    /** The start-up parameters of a server connection. */
    Map<String, String> startupParameters() {
        Map<String, String> p = new TreeMap<>(settings);
        p.put("user", user);
        p.put("database", database);
        p.put("application_name", "walferry-router");
        return p;
    }

    @Override
    public String toString() {
        return user + "@" + node.name() + "/" + database;
    }
}
