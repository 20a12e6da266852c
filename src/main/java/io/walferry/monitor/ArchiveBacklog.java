package io.walferry.monitor;

/**
 * WAL PostgreSQL has finished and not yet seen archived: its {@code .ready} files the agent has not acknowledged. An idle
 * database has none, however old its newest archived segment is.
 *
 * @param files            how many
 * @param bytes            their size
 * @param oldestAgeSeconds how long the oldest of them has waited (0 when there is none)
 */
public record ArchiveBacklog(int files, long bytes, double oldestAgeSeconds) {
    public static final ArchiveBacklog NONE = new ArchiveBacklog(0, 0, 0);
}
