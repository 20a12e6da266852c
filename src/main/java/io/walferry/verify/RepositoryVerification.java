package io.walferry.verify;

import io.walferry.config.RepositoryConfig;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.repository.Repository;

import java.util.List;
import java.util.Optional;

/**
 * One repository as verify saw it: what was read (absent when the repository could not be read at all), what
 * was decided from it, and what --repair did.
 */
public record RepositoryVerification(RepositoryConfig config, Optional<Repository> repository, Optional<ClusterIdentity> identity,
                                     Optional<RepositoryScan> scan, RepositoryResult result, List<Repair> repairs) {
    public RepositoryVerification {
        repairs = List.copyOf(repairs);
    }

    RepositoryVerification with(RepositoryScan newScan, RepositoryResult newResult, List<Repair> newRepairs) {
        return new RepositoryVerification(config, repository, identity, Optional.of(newScan), newResult, newRepairs);
    }

    /** The same findings, with what --repair said of them. */
    RepositoryVerification with(List<Repair> newRepairs) {
        return new RepositoryVerification(config, repository, identity, scan, result, newRepairs);
    }
}
