package io.walferry.archive;

import io.walferry.config.RepositoryConfig;
import io.walferry.repository.Repository;

/** A repository archive-push writes to, and whether a segment must reach it before it is acknowledged. */
public record ArchiveTarget(Repository repository, boolean required) {
    public static ArchiveTarget of(RepositoryConfig config, Repository repository) {
        return new ArchiveTarget(repository, config.required());
    }
}
