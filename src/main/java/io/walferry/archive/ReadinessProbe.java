package io.walferry.archive;

import io.walferry.config.FsRepositoryConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ArchivingSetup;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.ServerInfo;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.repository.Repository;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What check reads of a node and its repositories, once, before it decides anything ({@link ArchiveReadiness}).
 *
 * @param nodes how many nodes the configuration has (each replica needs a WAL sender)
 */
public record ReadinessProbe(String cluster, int nodes, ArchivingSetup setup, ClusterIdentity identity,
                             List<RepositoryState> repositories, List<Exposure> exposures) {
    public ReadinessProbe {
        repositories = List.copyOf(repositories);
        exposures = List.copyOf(exposures);
    }

    /** A repository as check found it: its cluster record (empty: none), or why it could not be read. */
    public record RepositoryState(String name, String location, Optional<ClusterRecord> record, Optional<WalferryException> unreadable) {
    }

    /**
     * A filesystem repository's or the spool's directories, and whether other local users can get at them: walferry
     * makes what it creates there owner-only, but a directory it did not create keeps its mode (docs/security.md).
     *
     * @param exposed    why others can get at {@code inner}, or empty
     * @param unreadable why the permissions could not be read, or empty
     */
    public record Exposure(String what, Path top, Path inner, Optional<String> exposed, Optional<String> unreadable) {
    }

    public static ReadinessProbe read(Connection c, WalferryConfig config, NodeConfig node) {
        ClusterIdentity identity = ServerInfo.identity(c);
        ArchivingSetup setup = ArchivingSetup.read(c);
        List<RepositoryState> repositories = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            repositories.add(repository(rc, config.cluster()));
        }
        List<Exposure> exposures = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            if (rc instanceof FsRepositoryConfig fs) {
                exposures.add(exposure("repository " + fs.name(), fs.path(), fs.path().resolve(config.cluster())));
            }
        }
        exposures.add(exposure("spool", config.archive().spoolDirectory(), config.spoolFor(node)));
        return new ReadinessProbe(config.cluster(), config.nodes().size(), setup, identity, repositories, exposures);
    }

    private static RepositoryState repository(RepositoryConfig rc, String cluster) {
        try {
            return new RepositoryState(rc.name(), rc.describe(), Repository.open(rc, cluster, false).clusterRecord(), Optional.empty());
        } catch (WalferryException e) {
            return new RepositoryState(rc.name(), rc.describe(), Optional.empty(), Optional.of(e));
        }
    }

    private static Exposure exposure(String what, Path top, Path inner) {
        try {
            return new Exposure(what, top, inner, PrivateFiles.exposure(top, inner), Optional.empty());
        } catch (IOException e) {
            return new Exposure(what, top, inner, Optional.empty(), Optional.of(e.getMessage()));
        }
    }
}
