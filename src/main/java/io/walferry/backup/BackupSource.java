package io.walferry.backup;

import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The repository and backup a restore or a new replica starts from: in the named repository, or in the first
 * configured one that holds a backup fitting the request. A replica in another account often cannot read the
 * primary's own repository, only the copy in its region: the first repository is not always one it can use.
 */
public record BackupSource(Repository repository, BackupManifest backup) {

    /** @param backupId a backup id, or null for the newest that {@code target} can be reached from */
    public static BackupSource choose(WalferryConfig config, Optional<String> repositoryName, String backupId, RecoveryTarget target) {
        List<WalferryException> misses = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            if (repositoryName.isPresent() && !rc.name().equals(repositoryName.get())) {
                continue;
            }
            Repository repository = Repository.open(rc, config.cluster(), false);
            try {
                return new BackupSource(repository, new BackupCatalog(repository).pick(backupId, target));
            } catch (WalferryException e) {
                misses.add(e); // this one cannot serve: the next may
            }
        }
        if (!misses.isEmpty()) {
            throw misses.get(0);
        }
        throw WalferryException.config("no repository named " + repositoryName.orElse(""),
                "walferry info lists the repositories; --repository takes one of their names");
    }
}
