package io.walferry.monitor;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One repository as the agent last read it (the backup package reads it; monitor sits below it).
 *
 * @param name            the repository's name
 * @param readAt          when it was read
 * @param error           why it could not be read (the rest is then empty)
 * @param segments        WAL segments stored
 * @param storedBytes     bytes of WAL objects stored (after compression)
 * @param walOldest       the start of the oldest segment (as an LSN's byte position)
 * @param walNewest       the end of the newest segment
 * @param newestTimeline  the newest timeline with segments
 * @param newestWalStored when the newest segment was stored
 * @param backups         complete backups
 * @param newestBackup    the newest backup: when it ended, how long it took, its size
 * @param pitrFrom        the earliest time a point-in-time recovery can reach (the oldest backup whose WAL reaches the
 *                        newest segment without a gap ended then); empty without such a backup
 * @param pitrTo          the latest (when the newest segment was stored)
 * @param newestSegment   the newest segment's file name
 * @param backupHistory   every complete backup, oldest first
 */
public record RepositoryState(String name, Instant readAt, Optional<String> error, long segments, long storedBytes,
                              Optional<Long> walOldest, Optional<Long> walNewest, Optional<Integer> newestTimeline,
                              Optional<Instant> newestWalStored, int backups, Optional<Backup> newestBackup,
                              Optional<Instant> pitrFrom, Optional<Instant> pitrTo, Optional<String> newestSegment,
                              List<Backup> backupHistory) {
    public RepositoryState {
        backupHistory = List.copyOf(backupHistory);
    }

    /**
     * A backup as monitoring shows it; {@code pitr}: its WAL, from its start, is stored without a gap up to the newest
     * segment, so a point-in-time recovery from it reaches any time from its end on.
     */
    public record Backup(String id, Instant start, Instant stop, long bytes, boolean pitr) {
        public double durationSeconds() {
            return (stop.toEpochMilli() - start.toEpochMilli()) / 1000.0;
        }
    }

    public static RepositoryState unreadable(String name, Instant at, String why) {
        return new RepositoryState(name, at, Optional.of(why), 0, 0, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }
}
