package io.walferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS by where a node is: loopback keeps libpq's default, anything else is verified unless configured otherwise. */
class ConnectionConfigTest {
    @TempDir
    Path tmp;

    private ConnectionConfig load(String connection) throws IOException {
        Path file = tmp.resolve("walferry.yaml");
        Files.writeString(file, """
                cluster: c
                nodes: [{name: a, data_directory: /d}]
                repositories: [{type: fs, path: /r}]
                """ + connection);
        return new ConfigLoader(Map.of()).load(file).connection();
    }

    @Test
    void remoteHostsAreVerifiedWithChannelBindingByDefaultLoopbackKeepsPrefer() throws IOException {
        ConnectionConfig c = load("");
        for (String host : new String[]{"127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"}) {
            ConnectionConfig.Tls tls = c.tlsFor(host);
            assertThat(tls.sslMode()).as(host).isEqualTo("prefer");
            assertThat(tls.channelBinding()).as(host).isEqualTo("prefer");
            assertThat(tls.weakness()).as(host).isEmpty();
        }
        for (String host : new String[]{"db1.internal", "10.0.0.5", "128.0.0.1", "127.0.0.1.attacker.example", "2001:db8::1"}) {
            ConnectionConfig.Tls tls = c.tlsFor(host);
            assertThat(tls.sslMode()).as(host).isEqualTo("verify-full");
            assertThat(tls.channelBinding()).as(host).isEqualTo("require");
            assertThat(tls.weakness()).as(host).isEmpty();
        }
    }

    @Test
    void aConfiguredModeAppliesEverywhereAndAWeakOneIsNamedForRemoteHosts() throws IOException {
        ConnectionConfig prefer = load("connection:\n  sslmode: prefer\n");
        assertThat(prefer.tlsFor("db1.internal").sslMode()).isEqualTo("prefer");
        assertThat(prefer.tlsFor("db1.internal").channelBinding()).as("cannot require binding without TLS").isEqualTo("prefer");
        assertThat(prefer.tlsFor("db1.internal").weakness()).hasValueSatisfying(w -> assertThat(w)
                .startsWith("connections to db1.internal use sslmode prefer").contains("read the traffic").contains("verify-full"));
        assertThat(prefer.tlsFor("127.0.0.1").weakness()).as("loopback never leaves the host").isEmpty();

        ConnectionConfig require = load("connection:\n  sslmode: require\n");
        assertThat(require.tlsFor("db1.internal").channelBinding()).as("binding keeps a relay out where the certificate is not checked")
                .isEqualTo("require");
        assertThat(require.tlsFor("db1.internal").weakness()).isPresent();

        ConnectionConfig cert = load("connection:\n  sslmode: verify-full\n  sslrootcert: /ca.pem\n  sslcert: /c.pem\n  sslkey: /c.pk8\n");
        assertThat(cert.tlsFor("db1.internal").channelBinding()).as("certificate authentication does not bind").isEqualTo("prefer");

        ConnectionConfig off = load("connection:\n  sslmode: require\n  channel_binding: disable\n");
        assertThat(off.tlsFor("db1.internal").channelBinding()).isEqualTo("disable");
    }

    @Test
    void badValuesGiveOneLine() {
        assertThatThrownBy(() -> load("connection:\n  channel_binding: always\n"))
                .hasMessageContaining("connection.channel_binding: expected one of disable, prefer, require, got \"always\"");
        assertThatThrownBy(() -> load("connection:\n  sslmode: disable\n  channel_binding: require\n"))
                .hasMessageContaining("connection.channel_binding: require needs TLS");
    }
}
