package io.walferry.backup;

import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import io.walferry.repository.StoredWal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Expires backups by count and/or age in one repository, and the WAL that no retained backup needs. A backup
 * is kept when it is one of the newest {@code keep}, or younger than {@code maxAge}; the newest is always
 * kept. WAL is removed only below the first segment of the oldest retained backup, so that every retained
 * backup can be restored to any point from its end to the newest archived WAL; history files are always
 * kept. Without any complete backup nothing is removed. A backup's manifest goes first, so that a backup
 * half removed is never taken for a complete one.
 */
public final class Retention {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    /** What to keep: the newest {@code keep} backups and those younger than {@code maxAge} (either may be absent). */
    public record Policy(Optional<Integer> keep, Optional<Duration> maxAge) {
    }

    /** What was (or, in a dry run, would be) removed. */
    public record Result(String repository, List<String> retained, List<String> expired, List<String> walRemoved, Optional<String> walKeptFrom) {
    }

    private final Repository repository;
    private final long segmentSize;

    public Retention(Repository repository, long segmentSize) {
        this.repository = repository;
        this.segmentSize = segmentSize;
    }

    public Result apply(Policy policy, Instant now, boolean dryRun) {
        List<BackupManifest> all = new BackupCatalog(repository).list();
        if (all.isEmpty()) {
            return new Result(repository.name(), List.of(), List.of(), List.of(), Optional.empty());
        }
        List<BackupManifest> retained = new ArrayList<>();
        List<BackupManifest> expired = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            BackupManifest b = all.get(i);
            boolean newest = i == all.size() - 1;
            boolean byCount = policy.keep().map(k -> all.size() - all.indexOf(b) <= k).orElse(false);
            boolean byAge = policy.maxAge().map(a -> Instant.parse(b.stopTime()).isAfter(now.minus(a))).orElse(false);
            (newest || byCount || byAge ? retained : expired).add(b);
        }
        BackupManifest oldest = retained.get(0);
        WalFileName.Segment keepFrom = (WalFileName.Segment) WalFileName.parse(oldest.startWal());
        long keepSegno = keepFrom.segmentNumber(segmentSize);
        List<String> walRemoved = new ArrayList<>();
        for (StoredWal w : repository.listWal()) {
            long segno = switch (w.name()) {
                case WalFileName.Segment s -> s.segmentNumber(segmentSize);
                case WalFileName.Partial p -> p.segment().segmentNumber(segmentSize);
                case WalFileName.BackupHistory h -> h.segment().segmentNumber(segmentSize);
                case WalFileName.History h -> Long.MAX_VALUE; // timeline histories are tiny and always needed
            };
            if (segno < keepSegno) {
                walRemoved.add(w.name().fileName());
            }
        }
        if (!dryRun) {
            for (BackupManifest b : expired) {
                repository.delete(BackupCatalog.dir(b.id()) + "/manifest");
                for (String key : repository.listTree(BackupCatalog.dir(b.id()))) {
                    repository.delete(key);
                }
                repository.removeEmptyDirectories(BackupCatalog.dir(b.id()));
                LOG.info("expired backup {} in repository {}", b.id(), repository.name());
            }
            for (StoredWal w : repository.listWal()) {
                if (walRemoved.contains(w.name().fileName())) {
                    repository.deleteWal(w.name());
                }
            }
        }
        return new Result(repository.name(), retained.stream().map(BackupManifest::id).toList(),
                expired.stream().map(BackupManifest::id).toList(), walRemoved, Optional.of(keepFrom.fileName()));
    }
}
