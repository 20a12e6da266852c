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
import java.util.List;
import java.util.Optional;

/**
 * Expires backups by count and/or age in one repository, and the WAL that no retained backup needs: reads what the
 * repository holds, lets {@link RetentionPlan} decide, then removes. A backup's manifest goes first, so that a backup
 * half removed is never taken for a complete one.
 */
public final class Retention {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

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
        BackupCatalog catalog = new BackupCatalog(repository);
        List<RetentionPlan.Backup> complete = catalog.list().stream().map(RetentionPlan.Backup::of).toList();
        List<String> directories = repository.list(RepositoryLayout.BACKUPS).stream().filter(Storage.Entry::directory).map(Storage.Entry::name).toList();
        directories.stream().filter(d -> BackupManifest.startOf(d).isEmpty())
                .forEach(d -> LOG.debug("{} in repository {} is not a backup: left alone", d, repository.name()));
        // Without a complete backup no WAL is removed: no need to list it.
        List<WalFileName> wal = complete.isEmpty() ? List.of() : repository.listWal().stream().map(StoredWal::name).toList();
        RetentionPlan plan = RetentionPlan.decide(policy, now, complete, directories, wal, segmentSize);
        if (!dryRun) {
            act(catalog, plan);
        }
        return new Result(repository.name(), plan.retained(), plan.expired(), plan.incomplete(),
                plan.walRemoved().stream().map(WalFileName::fileName).toList(), plan.walKeptFrom());
    }

    private void act(BackupCatalog catalog, RetentionPlan plan) {
        for (String id : plan.incomplete()) {
            // A backup that finished meanwhile is complete: it stays.
            if (catalog.manifest(id).isEmpty()) {
                remove(id);
                LOG.info("removed backup {} in repository {}: it never finished", id, repository.name());
            }
        }
        for (String id : plan.expired()) {
            repository.delete(RepositoryLayout.backupObject(id, RepositoryLayout.MANIFEST));
            remove(id);
            LOG.info("expired backup {} in repository {}", id, repository.name());
        }
        for (WalFileName w : plan.walRemoved()) {
            repository.deleteWal(w);
        }
    }

    private void remove(String id) {
        for (String key : repository.listTree(RepositoryLayout.backup(id))) {
            repository.delete(key);
        }
        repository.removeEmptyDirectories(RepositoryLayout.backup(id));
    }
}
