package io.walferry.backup;

import io.walferry.postgres.WalFileName;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What retention keeps and removes in one repository: a pure function ({@link #decide}) of the policy, the time, and
 * what the repository holds; {@link Retention} reads the repository, and acts on the plan.
 *
 * <p>A backup is kept when it is one of the newest {@code keep}, or younger than {@code maxAge}, or the newest one older
 * than that: recovery to a point just inside the age window starts from a backup that ended before it. The newest
 * backup is always kept. WAL is removed only below the first segment of the oldest retained backup, so that every
 * retained backup can be restored to any point from its end to the newest archived WAL; history files are always kept.
 * Without any complete backup no backup and no WAL is removed. A backup that never finished (a directory without a
 * manifest) is removed once its start, which its id records, is older than the grace period: until then it may be a
 * backup still running.
 *
 * @param incomplete  the backups that never finished and started before the grace period
 * @param walKeptFrom the oldest segment kept; empty when no backup is complete (nothing is removed then)
 */
public record RetentionPlan(List<String> retained, List<String> expired, List<String> incomplete, List<WalFileName> walRemoved,
                            Optional<String> walKeptFrom) {
    public RetentionPlan {
        retained = List.copyOf(retained);
        expired = List.copyOf(expired);
        incomplete = List.copyOf(incomplete);
        walRemoved = List.copyOf(walRemoved);
    }

    /** A complete backup as retention sees it: when it ended, and the first segment it needs. */
    public record Backup(String id, Instant stop, WalFileName.Segment startWal) {
        static Backup of(BackupManifest m) {
            return new Backup(m.id(), Instant.parse(m.stopTime()), (WalFileName.Segment) WalFileName.parse(m.startWal()));
        }
    }

    /**
     * @param complete    the backups with a manifest
     * @param directories the names of the directories under backup/, complete backups' among them
     * @param wal         the WAL the repository holds (needed only when a backup is complete)
     */
    public static RetentionPlan decide(Retention.Policy policy, Instant now, List<Backup> complete, List<String> directories,
                                       List<WalFileName> wal, long segmentSize) {
        List<String> incomplete = abandoned(complete, directories, now.minus(policy.incompleteGrace()));
        if (complete.isEmpty()) {
            return new RetentionPlan(List.of(), List.of(), incomplete, List.of(), Optional.empty());
        }
        List<Backup> all = new ArrayList<>(complete);
        all.sort(Comparator.comparing(Backup::id));
        Optional<Instant> windowStart = policy.maxAge().map(now::minus);
        Optional<Backup> anchor = windowStart.flatMap(w -> all.stream().filter(b -> !b.stop().isAfter(w)).reduce((a, b) -> b));
        List<String> retained = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        Backup oldestRetained = null;
        for (int i = 0; i < all.size(); i++) {
            Backup b = all.get(i);
            int fromNewest = all.size() - i;
            boolean newest = fromNewest == 1;
            boolean byCount = policy.keep().map(k -> fromNewest <= k).orElse(false);
            boolean byAge = windowStart.map(w -> b.stop().isAfter(w)).orElse(false);
            boolean anchors = anchor.map(a -> a.id().equals(b.id())).orElse(false);
            if (newest || byCount || byAge || anchors) {
                retained.add(b.id());
                oldestRetained = oldestRetained == null ? b : oldestRetained;
            } else {
                expired.add(b.id());
            }
        }
        long keepFrom = oldestRetained.startWal().segmentNumber(segmentSize);
        List<WalFileName> walRemoved = wal.stream().filter(w -> segmentNumber(w, segmentSize) < keepFrom).toList();
        return new RetentionPlan(retained, expired, incomplete, walRemoved, Optional.of(oldestRetained.startWal().fileName()));
    }

    /** The segment a WAL file belongs to; a timeline history belongs to none and is never below any. */
    private static long segmentNumber(WalFileName w, long segmentSize) {
        return switch (w) {
            case WalFileName.Segment s -> s.segmentNumber(segmentSize);
            case WalFileName.Partial p -> p.segment().segmentNumber(segmentSize);
            case WalFileName.BackupHistory h -> h.segment().segmentNumber(segmentSize);
            case WalFileName.History h -> Long.MAX_VALUE; // timeline histories are tiny and always needed
        };
    }

    /** The directories without a manifest that started before {@code startedBefore}; names that are no backup id are left alone. */
    private static List<String> abandoned(List<Backup> complete, List<String> directories, Instant startedBefore) {
        Set<String> done = complete.stream().map(Backup::id).collect(Collectors.toSet());
        return directories.stream().filter(d -> !done.contains(d))
                .filter(d -> BackupManifest.startOf(d).map(t -> t.isBefore(startedBefore)).orElse(false)).sorted().toList();
    }
}
