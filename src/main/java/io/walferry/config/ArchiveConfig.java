package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How WAL is archived.
 *
 * @param compression    for new objects
 * @param workers        parallel pushes by the agent
 * @param spoolDirectory the agent's working state; each node gets {@code <spool>/<cluster>/<node>}
 * @param timeout        how long check waits for a switched segment, and archive-push for the agent
 * @param prefetch       how many segments archive-get keeps fetched ahead of replay (0: none)
 */
public record ArchiveConfig(Compression compression, int workers, Path spoolDirectory, Duration timeout, int prefetch) {
}
