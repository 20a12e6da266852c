package io.walferry.config;

import java.nio.file.Path;
import java.util.Optional;

/** One PostgreSQL server of the cluster: where it runs and where its data lives. */
public record NodeConfig(String name, String region, String host, int port, Path dataDirectory,
                         Optional<Path> binDirectory) {
}
