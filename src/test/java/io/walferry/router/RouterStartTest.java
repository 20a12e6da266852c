package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the router refuses before it listens: plain text to a server off loopback, unless allowed. */
class RouterStartTest {
    @TempDir
    Path tmp;

    private WalferryConfig load(String serverTls) throws IOException {
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
                """ + serverTls);
        return new ConfigLoader(Map.of()).load(p);
    }

    @Test
    void plainTextToANodeOffLoopbackIsRefusedUnlessAllowed() throws IOException {
        WalferryConfig c = load("  server_tls: { sslmode: prefer }\n");
        assertThatThrownBy(() -> Router.start(c)).isInstanceOf(WalferryException.class)
                .hasMessage("node pg2 at 10.0.0.2 is not on loopback and router.server_tls.sslmode is prefer: clients' passwords and data "
                        + "would cross the network in plain text")
                .satisfies(e -> assertThat(((WalferryException) e).kind()).isEqualTo(Failure.CONFIG));

        WalferryConfig allowed = load("  server_tls: { sslmode: disable, allow_plaintext: true }\n");
        RouterTls.of(allowed.router().orElseThrow(), allowed.nodes());
    }

    @Test
    void withoutServerTlsSettingsANodeOffLoopbackIsVerifiedAndOneOnLoopbackIsPlain() throws IOException {
        WalferryConfig c = load("");
        RouterTls.of(c.router().orElseThrow(), c.nodes());
        assertThat(c.router().orElseThrow().serverTls().modeFor("10.0.0.2")).isEqualTo("verify-full");
        assertThat(c.router().orElseThrow().serverTls().modeFor("127.0.0.1")).isEqualTo("disable");
        assertThat(load("  server_tls: { sslmode: require }\n").router().orElseThrow().serverTls().modeFor("127.0.0.1")).isEqualTo("require");
    }

    @Test
    void aCertificateThatCannotBeReadRefusesTheConfiguration() throws IOException {
        WalferryConfig c = load("  tls: { certificate: " + tmp.resolve("none.pem") + ", key: " + tmp.resolve("none.key") + " }\n");
        assertThatThrownBy(() -> RouterTls.of(c.router().orElseThrow(), c.nodes())).isInstanceOf(WalferryException.class)
                .hasMessageStartingWith("router.tls: cannot use the certificate " + tmp.resolve("none.pem"));
    }
}
