package io.walferry.backup;

import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.storage.Storage;
import io.walferry.repository.StoredWal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Expires backups by count and/or age in one repository, and the WAL that no retained backup needs. A backup
 * is kept when it is one of the newest {@code keep}, or younger than {@code maxAge}, or the newest one older
 * than that: recovery to a point just inside the age window starts from a backup that ended before it. The
 * newest backup is always kept. WAL is removed only below the first segment of the oldest retained backup, so
 * that every retained backup can be restored to any point from its end to the newest archived WAL; history
 * files are always kept. Without any complete backup no backup and no WAL is removed. A backup's manifest goes
 * first, so that a backup half removed is never taken for a complete one.
 *
 * <p>A backup that never finished (a directory without a manifest) is removed once its start, which its id
 * records, is older than {@code incompleteGrace}: until then it may be a backup still running.
 */
public final class Retention {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
    /** A backup's id is its start time (docs/repository-format.md). */
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /**
     * What to keep: the newest {@code keep} backups and those younger than {@code maxAge} (either may be absent);
     * backups without a manifest for {@code incompleteGrace} after they started.
     */
    public record Policy(Optional<Integer> keep, Optional<Duration> maxAge, Duration incompleteGrace) {
    }

    /** What was (or, in a dry run, would be) removed. */
    public record Result(String repository, List<String> retained, List<String> expired, List<String> incompleteRemoved,
                         List<String> walRemoved, Optional<String> walKeptFrom) {
    }

    private final Repository repository;
    private final long segmentSize;

    public Retention(Repository repository, long segmentSize) {
        this.repository = repository;
        this.segmentSize = segmentSize;
    }

    public Result apply(Policy policy, Instant now, boolean dryRun) {
        List<BackupManifest> all = new BackupCatalog(repository).list();
        List<String> incomplete = abandoned(all, now.minus(policy.incompleteGrace()));
        if (!dryRun) {
            for (String id : incomplete) {
                // A backup that finished meanwhile is complete: it stays.
                if (new BackupCatalog(repository).manifest(id).isEmpty()) {
                    remove(id);
                    LOG.info("removed backup {} in repository {}: it never finished", id, repository.name());
                }
            }
        }
        if (all.isEmpty()) {
            return new Result(repository.name(), List.of(), List.of(), incomplete, List.of(), Optional.empty());
        }
        Optional<Instant> windowStart = policy.maxAge().map(now::minus);
        Optional<BackupManifest> anchor = windowStart.flatMap(w -> all.stream().filter(b -> !stop(b).isAfter(w)).reduce((a, b) -> b));
        List<BackupManifest> retained = new ArrayList<>();
        List<BackupManifest> expired = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            BackupManifest b = all.get(i);
            boolean newest = i == all.size() - 1;
            boolean byCount = policy.keep().map(k -> all.size() - all.indexOf(b) <= k).orElse(false);
            boolean byAge = windowStart.map(w -> stop(b).isAfter(w)).orElse(false);
            boolean anchors = anchor.map(a -> a.id().equals(b.id())).orElse(false);
            (newest || byCount || byAge || anchors ? retained : expired).add(b);
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
                repository.delete(RepositoryLayout.backupObject(b.id(), RepositoryLayout.MANIFEST));
                remove(b.id());
                LOG.info("expired backup {} in repository {}", b.id(), repository.name());
            }
            for (StoredWal w : repository.listWal()) {
                if (walRemoved.contains(w.name().fileName())) {
                    repository.deleteWal(w.name());
                }
            }
        }
        return new Result(repository.name(), retained.stream().map(BackupManifest::id).toList(),
                expired.stream().map(BackupManifest::id).toList(), incomplete, walRemoved, Optional.of(keepFrom.fileName()));
    }

    private static Instant stop(BackupManifest b) {
        return Instant.parse(b.stopTime());
    }

    /** The backups without a manifest that started before {@code startedBefore}; names that are no backup id are left alone. */
    private List<String> abandoned(List<BackupManifest> complete, Instant startedBefore) {
        Set<String> done = complete.stream().map(BackupManifest::id).collect(Collectors.toSet());
        List<String> out = new ArrayList<>();
        for (Storage.Entry e : repository.list(RepositoryLayout.BACKUPS)) {
            if (!e.directory() || done.contains(e.name())) {
                continue;
            }
            try {
                if (Instant.from(ID.parse(e.name())).isBefore(startedBefore)) {
                    out.add(e.name());
                }
            } catch (DateTimeParseException ex) {
                LOG.debug("{} in repository {} is not a backup: left alone", e.name(), repository.name());
            }
        }
        out.sort(null);
        return out;
    }

    private void remove(String id) {
        for (String key : repository.listTree(RepositoryLayout.backup(id))) {
            repository.delete(key);
        }
        repository.removeEmptyDirectories(RepositoryLayout.backup(id));
    }
}
