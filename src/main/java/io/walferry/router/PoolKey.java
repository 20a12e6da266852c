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
        settings = Map.copyOf(settings); // no copy at all of a client's settings, which are already one (a key per transaction)
    }

    /** The start-up parameters of a server connection. */
    Map<String, String> startupParameters() {
        Map<String, String> p = new TreeMap<>(settings);
        p.put("user", user);
        p.put("database", database);
        p.put("application_name", "walferry-router");
        return p;
    }

    // Written out: a record's own equals and hashCode (through method handles, and NodeConfig's all over again) were a
    // noticeable part of the router's Java time in transaction mode, where every transaction looks its pool up.
    @Override
    public boolean equals(Object o) {
        return o instanceof PoolKey k && mode == k.mode && user.equals(k.user) && database.equals(k.database)
                && (node == k.node || node.equals(k.node)) && settings.equals(k.settings);
    }

    @Override
    public int hashCode() {
        int h = node.name().hashCode(); // names are unique in a configuration: equal nodes have equal names
        h = 31 * h + user.hashCode();
        h = 31 * h + database.hashCode();
        h = 31 * h + settings.hashCode();
        return 31 * h + mode.ordinal();
    }

    @Override
    public String toString() {
        return user + "@" + node.name() + "/" + database;
    }
}
