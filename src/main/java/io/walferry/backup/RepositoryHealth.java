package io.walferry.backup;

import io.walferry.monitor.RepositoryState;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.StoredWal;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A repository's state for monitoring, from its WAL listing and its backups: the WAL range, the newest backup, and the
 * window point-in-time recovery can reach. The window starts where the oldest backup ended whose WAL, from its start
 * onwards, is stored without a gap up to the newest segment (on whichever timeline: a timeline switch is no gap), and
 * ends when the newest segment was stored (or where it starts, if that segment is the backup's last: it was stored while the
 * backup was ending).
 */
public final class RepositoryHealth {
    /** What monitoring keeps of a backup's manifest (the manifest itself may be large). */
    public record BackupSummary(String id, Instant start, Instant stop, long bytes, WalFileName.Segment startWal) {
        static BackupSummary of(BackupManifest m) {
            return new BackupSummary(m.id(), Instant.parse(m.startTime()), Instant.parse(m.stopTime()), m.bytes(),
                    new WalFileName.Segment(m.startWal()));
        }
    }

    private RepositoryHealth() {
    }

    public static RepositoryState of(String name, Instant readAt, List<StoredWal> wal, List<BackupSummary> backups, long segmentSize) {
        List<StoredWal> segments = wal.stream().filter(w -> w.name() instanceof WalFileName.Segment).toList();
        long stored = wal.stream().mapToLong(StoredWal::storedBytes).sum();
        Comparator<StoredWal> byPosition = Comparator.comparingLong((StoredWal w) -> number(w, segmentSize))
                .thenComparingInt(w -> w.name().timeline());
        Optional<StoredWal> oldest = segments.stream().min(byPosition);
        Optional<StoredWal> newest = segments.stream().max(byPosition);
        List<BackupSummary> sorted = backups.stream().sorted(Comparator.comparing(BackupSummary::id)).toList();
        long unbroken = Long.MAX_VALUE;
        if (newest.isPresent()) {
            TreeSet<Long> numbers = new TreeSet<>();
            segments.forEach(w -> numbers.add(number(w, segmentSize)));
            long first = number(newest.get(), segmentSize);
            while (numbers.contains(first - 1)) {
                first--;
            }
            unbroken = first;
        }
        long from = unbroken;
        List<RepositoryState.Backup> history = sorted.stream()
                .map(b -> new RepositoryState.Backup(b.id(), b.start(), b.stop(), b.bytes(), b.startWal().segmentNumber(segmentSize) >= from))
                .toList();
        Optional<RepositoryState.Backup> newestBackup = history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
        Optional<Instant> pitrFrom = history.stream().filter(RepositoryState.Backup::pitr).map(RepositoryState.Backup::stop).findFirst();
        return new RepositoryState(name, readAt, Optional.empty(), segments.size(), stored,
                oldest.map(w -> number(w, segmentSize) * segmentSize), newest.map(w -> (number(w, segmentSize) + 1) * segmentSize),
                newest.map(w -> w.name().timeline()), newest.map(StoredWal::stored), sorted.size(), newestBackup, pitrFrom,
                pitrFrom.flatMap(f -> newest.map(w -> w.stored().isAfter(f) ? w.stored() : f)),
                newest.map(w -> w.name().fileName()), history);
    }

    private static long number(StoredWal w, long segmentSize) {
        return ((WalFileName.Segment) w.name()).segmentNumber(segmentSize);
    }
}
