package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the router refuses before it listens. */
class RouterStartTest {
    @TempDir
    Path tmp;

    @Test
    void aNodeOffLoopbackIsRefusedWhileServerConnectionsHaveNoTls() throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, """
                cluster: main
                nodes:
                  - name: pg1
                    data_directory: /d1
                  - name: pg2
                    host: 10.0.0.2
                    data_directory: /d2
                repositories:
                  - name: local
                    type: fs
                    path: /r
                router:
                  auth: trust
                  endpoints:
                    rw: { port: 6432 }
                """);
        assertThatThrownBy(() -> Router.start(new ConfigLoader(Map.of()).load(p))).isInstanceOf(WalferryException.class)
                .hasMessage("node pg2 at 10.0.0.2 is not on loopback, and the router does not speak TLS to servers yet")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((WalferryException) e).kind()).isEqualTo(Failure.CONFIG));
    }
}
