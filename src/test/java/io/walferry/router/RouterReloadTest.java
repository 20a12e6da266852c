package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a reload may change, and what needs a restart. */
class RouterReloadTest {
    @TempDir
    Path tmp;

    private WalferryConfig load(String nodeHost, String router) throws IOException {
        Path p = Files.createTempFile(tmp, "walferry", ".yaml");
        Files.writeString(p, """
                cluster: main
                nodes:
                  - name: pg1
                    host: %s
                    data_directory: /d1
                repositories:
                  - name: local
                    type: fs
                    path: /r
                router:
                  auth: trust
                """.formatted(nodeHost) + router);
        return new ConfigLoader(Map.of()).load(p);
    }

    private static final String BASE = "  endpoints:\n    rw: { port: 6432, pool_size: 4 }\n";

    @Test
    void lagLimitsPoolSizesAndTimeoutsAreReloaded() throws IOException {
        WalferryConfig before = load("127.0.0.1", BASE);
        WalferryConfig next = load("127.0.0.1", "  max_lag_bytes: 1MiB\n  failover_wait: 5s\n"
                + "  endpoints:\n    rw: { port: 6432, pool_size: 8, pool_mode: session }\n");
        assertThat(RouterReload.needsRestart(before, next)).isEmpty();
        assertThat(RouterReload.changes(before.router().orElseThrow(), next.router().orElseThrow()))
                .isEqualTo("endpoints, failover_wait, max_lag_bytes");
        assertThat(RouterReload.changes(before.router().orElseThrow(), load("127.0.0.1", BASE).router().orElseThrow())).isEqualTo("none");
    }

    @Test
    void socketsNodesAndChecksNeedARestart() throws IOException {
        WalferryConfig before = load("127.0.0.1", BASE);
        assertThat(RouterReload.needsRestart(before, load("127.0.0.1", "  endpoints:\n    rw: { port: 6500, pool_size: 4 }\n")))
                .contains("router.endpoints' ports changed");
        assertThat(RouterReload.needsRestart(before, load("127.0.0.1", BASE + "  listen: 0.0.0.0\n"))).contains("router.listen changed");
        assertThat(RouterReload.needsRestart(before, load("127.0.0.2", BASE))).contains("nodes changed");
        assertThat(RouterReload.needsRestart(before, load("127.0.0.1", BASE + "  metrics_port: 9900\n")))
                .contains("router.metrics_listen or metrics_port changed");
        assertThat(RouterReload.needsRestart(before, load("127.0.0.1", BASE + "  check_interval: 500ms\n")))
                .contains("router.check_interval changed");
    }
}
