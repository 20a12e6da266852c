package io.walferry.backup;

import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.monitor.RepositoryState;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads every configured repository in the background, every {@code every}, for the metrics: listing a repository costs
 * far more than a scrape may take. A backup's manifest is read once (it never changes); a repository that cannot be read
 * says why.
 */
public final class RepositoryWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryWatch.class);

    private final WalferryConfig config;
    private final ScheduledExecutorService timer;
    private final Map<String, Repository> open = new ConcurrentHashMap<>();
    private final Map<String, RepositoryHealth.BackupSummary> manifests = new ConcurrentHashMap<>();
    private volatile List<RepositoryState> latest = List.of();

    public RepositoryWatch(WalferryConfig config, Duration every) {
        this.config = config;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("repository-watch").daemon().factory());
        timer.scheduleWithFixedDelay(this::readAll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    public List<RepositoryState> latest() {
        return latest;
    }

    private void readAll() {
        List<RepositoryState> out = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            Instant now = Instant.now();
            try {
                out.add(read(rc, now));
            } catch (RuntimeException e) {
                LOG.debug("repository {} cannot be read: {}", rc.name(), e.getMessage());
                out.add(RepositoryState.unreadable(rc.name(), now, String.valueOf(e.getMessage())));
            }
        }
        latest = List.copyOf(out);
    }

    private RepositoryState read(RepositoryConfig rc, Instant now) {
        Repository repo = open.computeIfAbsent(rc.name(), n -> Repository.open(rc, config.cluster(), false));
        Optional<ClusterRecord> record = repo.clusterRecord();
        if (record.isEmpty()) {
            return RepositoryState.unreadable(rc.name(), now, "cluster " + config.cluster() + " is not registered in it");
        }
        BackupCatalog catalog = new BackupCatalog(repo);
        List<RepositoryHealth.BackupSummary> backups = new ArrayList<>();
        for (Storage.Entry e : repo.list(RepositoryLayout.BACKUPS)) {
            if (!e.directory() || !BackupManifest.isId(e.name())) {
                continue;
            }
            String key = rc.name() + "/" + e.name();
            RepositoryHealth.BackupSummary b = manifests.get(key);
            if (b == null) {
                b = catalog.manifest(e.name()).map(RepositoryHealth.BackupSummary::of).orElse(null);
                if (b != null) {
                    manifests.put(key, b);
                }
            }
            if (b != null) {
                backups.add(b);
            }
        }
        return RepositoryHealth.of(rc.name(), now, repo.listWal(), backups, record.get().walSegmentSize());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
