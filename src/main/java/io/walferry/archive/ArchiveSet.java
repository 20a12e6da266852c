package io.walferry.archive;

import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;

import java.util.ArrayList;
import java.util.List;

/**
 * The repositories of a cluster, opened and checked to agree on the cluster's identity: every archive
 * command starts from one.
 */
public record ArchiveSet(String cluster, List<ArchiveTarget> targets, ClusterIdentity identity) {
    public ArchiveSet {
        targets = List.copyOf(targets);
    }

    /**
     * Opens every repository. Required ones must be reachable and registered to one identity; an optional
     * one that is not reachable now is kept anyway, refuses writes until it is back, and is caught up then.
     */
    public static ArchiveSet open(WalferryConfig config) {
        return open(config, false);
    }

    /** As {@link #open(WalferryConfig)}, but every repository, optional ones too, must be reachable and registered (a backup). */
    public static ArchiveSet openEvery(WalferryConfig config) {
        return open(config, true);
    }

    private static ArchiveSet open(WalferryConfig config, boolean everyRequired) {
        List<ArchiveTarget> targets = new ArrayList<>();
        ClusterIdentity identity = null;
        String identitySource = null;
        for (RepositoryConfig rc : config.repositories()) {
            Repository r;
            ClusterRecord rec;
            try {
                r = Repository.open(rc, config.cluster(), false);
                rec = r.requireClusterRecord();
            } catch (WalferryException e) {
                if (everyRequired || rc.required()) {
                    throw e;
                }
                targets.add(ArchiveTarget.of(rc, Repository.unchecked(rc, config.cluster())));
                continue;
            }
            if (identity == null) {
                identity = rec.identity();
                identitySource = r.name();
            } else if (!rec.identity().equals(identity)) {
                throw WalferryException.config("repositories " + identitySource + " and " + r.name()
                        + " are registered to different clusters (system identifiers " + identity.systemIdentifierText()
                        + " and " + rec.systemIdentifier() + ")", "a cluster's repositories must all belong to it; check the paths");
            }
            targets.add(ArchiveTarget.of(rc, r));
        }
        if (identity == null) {
            throw WalferryException.config("no repository of cluster " + config.cluster() + " is registered",
                    "run walferry repo-create while the primary is running");
        }
        return new ArchiveSet(config.cluster(), targets, identity);
    }

    /** The required repositories, opened but not checked: what must hold a file before walferry says it is archived. */
    public static List<Repository> requiredRepositories(WalferryConfig config) {
        return config.repositories().stream().filter(RepositoryConfig::required).map(rc -> Repository.open(rc, config.cluster(), false)).toList();
    }

    public java.util.Optional<ArchiveTarget> target(String repositoryName) {
        return targets.stream().filter(t -> t.repository().name().equals(repositoryName)).findFirst();
    }

    public List<Repository> repositories() {
        return targets.stream().map(ArchiveTarget::repository).toList();
    }
}
