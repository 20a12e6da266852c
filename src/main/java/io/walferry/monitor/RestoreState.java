package io.walferry.monitor;

import java.time.Instant;

/**
 * The restore that made the node's data directory, as the restore recorded it there (the backup package writes and reads
 * the record; monitor sits below it).
 *
 * @param backup     the backup restored
 * @param repository the repository it came from
 * @param start      when the restore started
 * @param stop       when its files were all written and synced
 * @param bytes      the data files written (the backup's size)
 */
public record RestoreState(String backup, String repository, Instant start, Instant stop, long bytes) {
    public double durationSeconds() {
        return (stop.toEpochMilli() - start.toEpochMilli()) / 1000.0;
    }
}
