package io.walferry.router;

import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A pool is found by its key: keys of the same connection are equal, whatever instances and order they were made of. */
class PoolKeyTest {
    private static NodeConfig node(String name, int port) {
        return new NodeConfig(name, "", "127.0.0.1", port, Path.of("/d/" + name), Optional.empty());
    }

    private static Map<String, String> settings(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void keysOfTheSameConnectionAreEqualAndOthersAreNot() {
        PoolKey a = new PoolKey(node("pg1", 5432), "app", "db", settings("DateStyle", "ISO", "client_encoding", "UTF8"),
                RouterConfig.PoolMode.TRANSACTION);
        PoolKey same = new PoolKey(node("pg1", 5432), "app", "db", settings("client_encoding", "UTF8", "DateStyle", "ISO"),
                RouterConfig.PoolMode.TRANSACTION);
        assertThat(same).isEqualTo(a).hasSameHashCodeAs(a);
        assertThat(Map.of(a, "pool").get(same)).isEqualTo("pool");

        assertThat(new PoolKey(node("pg1", 5433), "app", "db", a.settings(), RouterConfig.PoolMode.TRANSACTION)).isNotEqualTo(a);
        assertThat(new PoolKey(node("pg2", 5432), "app", "db", a.settings(), RouterConfig.PoolMode.TRANSACTION)).isNotEqualTo(a);
        assertThat(new PoolKey(a.node(), "other", "db", a.settings(), RouterConfig.PoolMode.TRANSACTION)).isNotEqualTo(a);
        assertThat(new PoolKey(a.node(), "app", "other", a.settings(), RouterConfig.PoolMode.TRANSACTION)).isNotEqualTo(a);
        assertThat(new PoolKey(a.node(), "app", "db", settings("DateStyle", "ISO"), RouterConfig.PoolMode.TRANSACTION)).isNotEqualTo(a);
        assertThat(new PoolKey(a.node(), "app", "db", a.settings(), RouterConfig.PoolMode.SESSION)).isNotEqualTo(a);
    }

    @Test
    void aServerConnectionStartsWithTheSettingsInOrderAndTheRoutersName() {
        PoolKey k = new PoolKey(node("pg1", 5432), "app", "db", settings("client_encoding", "UTF8", "DateStyle", "ISO"),
                RouterConfig.PoolMode.SESSION);
        assertThat(k.startupParameters()).containsExactly(Map.entry("DateStyle", "ISO"), Map.entry("application_name", "walferry-router"),
                Map.entry("client_encoding", "UTF8"), Map.entry("database", "db"), Map.entry("user", "app"));
    }
}
