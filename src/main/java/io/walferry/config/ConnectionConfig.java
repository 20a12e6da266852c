package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** How walferry connects to every node's PostgreSQL: role, database and TLS. */
public record ConnectionConfig(String user, String database, Optional<Secret> password, String sslMode,
                               Optional<Path> sslRootCert, Optional<Path> sslCert, Optional<Path> sslKey,
                               Duration connectTimeout) {
}
