package io.walferry.postgres;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the connector does before it reaches the network: the TLS a node gets, and what it says about it. */
class PgConnectorTest {
    private static NodeConfig node(String host) {
        return new NodeConfig("east", "us-east-1", host, 1, Path.of("/d"), Optional.empty()); // port 1: nothing listens
    }

    private static ConnectionConfig sslMode(String mode) {
        return new ConnectionConfig("postgres", "postgres", Optional.empty(), Optional.ofNullable(mode), Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofSeconds(1), Optional.empty(), Optional.empty());
    }

    @Test
    void aRemoteNodeIsVerifiedByDefaultAndWithoutACaThatIsAOneLineConfigurationError() {
        // .invalid never resolves (RFC 2606): nothing here reaches a network
        assertThatThrownBy(() -> new PgConnector(sslMode(null)).connect(node("db1.invalid"))).isInstanceOfSatisfying(WalferryException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(Failure.CONFIG);
                    assertThat(e.getMessage()).contains("node east at db1.invalid is not on loopback").contains("sslmode verify-full");
                    assertThat(e.hint()).contains("connection.sslrootcert");
                });
    }

    @Test
    void aWeakModeForARemoteNodeIsWarnedOncePerProcess() {
        Logger logger = (Logger) LoggerFactory.getLogger(PgConnector.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            PgConnector pg = new PgConnector(sslMode("require"));
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> pg.connect(node("db2.invalid"))).isInstanceOf(WalferryException.class);
            }
            assertThatThrownBy(() -> new PgConnector(sslMode("require")).connect(node("127.0.0.1"))).isInstanceOf(WalferryException.class);
            assertThat(log.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getFormattedMessage()).isEqualTo("node east: connections to db2.invalid use sslmode require: the server's "
                        + "certificate is not checked against its name, so anyone on the network path can pose as it and read the traffic; "
                        + "set connection.sslmode: verify-full and sslrootcert (docs/security.md)");
            });
        } finally {
            logger.detachAppender(log);
        }
    }
}
