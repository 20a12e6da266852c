package io.walferry.backup;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import io.walferry.repository.StoredWal;

import java.time.Instant;
import java.util.Optional;

/**
 * What a restore from one backup can reach, to check a recovery target against before anything is restored.
 * It starts at the backup's end: PostgreSQL refuses a target before the point where the restored cluster is
 * consistent. It ends with the newest segment the repository holds on a timeline recovery may follow (the
 * backup's, up to --target-timeline): PostgreSQL 13 and later stop with an error where the archive ends before
 * the target. Both are bounds, not more: a gap in the archive ends recovery sooner. For a time the end is when
 * that segment was stored, since nothing in it was written later (as far as the clocks of the server and of
 * the repository agree).
 *
 * @param archiveEnd the newest segment, empty when the repository holds none on those timelines
 */
public record RecoveryRange(String repository, BackupManifest backup, Optional<ArchiveEnd> archiveEnd) {

    /** The newest segment stored, the position where it ends, and when it was stored. */
    public record ArchiveEnd(WalFileName.Segment segment, Lsn end, Instant stored) {
    }

    /** Probes the repository for the newest segment recovery from {@code backup} towards {@code target} may replay. */
    public static RecoveryRange of(Repository repository, BackupManifest backup, RecoveryTarget target) {
        long segmentSize = repository.requireClusterRecord().walSegmentSize();
        int lastTimeline = switch (target.timeline()) {
            case "latest" -> Integer.MAX_VALUE;
            case "current" -> backup.timeline();
            default -> (int) Math.min(Long.parseLong(target.timeline()), Integer.MAX_VALUE);
        };
        Optional<StoredWal> newest = repository.newestSegment(backup.timeline(), lastTimeline);
        return new RecoveryRange(repository.name(), backup, newest.map(w -> {
            WalFileName.Segment s = (WalFileName.Segment) w.name();
            return new ArchiveEnd(s, new Lsn((s.segmentNumber(segmentSize) + 1) * segmentSize), w.stored());
        }));
    }

    /**
     * Refuses a time or LSN target outside the range, naming the range; one past the archive's end passes with
     * {@code pastArchive} (--force, or a standby, which waits for more WAL). An xid or a restore point's name cannot
     * be placed without reading the WAL, and passes.
     */
    public void check(RecoveryTarget target, boolean pastArchive) {
        if (target.time().isPresent()) {
            Instant t = TargetTime.parse(target.time().get());
            String given = "--target-time '" + target.time().get() + "'";
            if (t.isBefore(Instant.parse(backup.stopTime()))) {
                throw beforeBackup(given, timeRange());
            }
            if (!pastArchive && archiveEnd.isPresent() && t.isAfter(archiveEnd.get().stored())) {
                throw afterArchive(given, timeRange());
            }
        } else if (target.lsn().isPresent()) {
            Lsn t = RecoveryTarget.parseLsn(target.lsn().get());
            String given = "--target-lsn " + target.lsn().get();
            if (t.compareTo(backup.stop()) < 0) {
                throw beforeBackup(given, lsnRange());
            }
            // recovery stops at the first record that starts at or after the target: the archive must hold one
            if (!pastArchive && archiveEnd.isPresent() && t.compareTo(archiveEnd.get().end()) >= 0) {
                throw afterArchive(given, lsnRange());
            }
        }
    }

    private String timeRange() {
        return "a restore from backup " + backup.id() + " can reach " + backup.stopTime()
                + archiveEnd.map(e -> " to " + e.stored() + " (when " + e.segment().fileName() + " was stored)").orElse(" on");
    }

    private String lsnRange() {
        return "a restore from backup " + backup.id() + " can reach LSN " + backup.stopLsn()
                + archiveEnd.map(e -> " to " + e.end() + " (the end of " + e.segment().fileName() + ")").orElse(" on");
    }

    private WalferryException beforeBackup(String given, String range) {
        return WalferryException.config(given + " is before the end of backup " + backup.id() + ": " + range,
                "choose a target in that range, or an older backup with --backup (walferry info lists them)");
    }

    private WalferryException afterArchive(String given, String range) {
        return WalferryException.config(given + " is after the newest WAL in repository " + repository + ": " + range,
                "choose a target in that range, archive the WAL up to it first (select pg_switch_wal() on the primary), "
                        + "or restore all the same with --force");
    }
}
