package io.walferry.archive;

import io.walferry.config.NodeConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Registers the cluster, as its running server identifies it, in every repository: safe to run again, and refused
 * where a repository holds another cluster under that name (walferry never mixes two clusters' WAL).
 */
public final class ClusterRegistration {
    private ClusterRegistration() {
    }

    /** A repository's registration after the call; {@code added} when this call wrote it. */
    public record Registered(Repository repository, ClusterRecord record, boolean added) {
    }

    /**
     * Registers the cluster of {@code node}'s server in each repository in turn, telling {@code each} of every one done
     * before the next.
     *
     * @param createdBy what the registration says wrote it ("walferry VERSION")
     */
    public static void register(WalferryConfig config, PgConnector pg, NodeConfig node, String createdBy, Consumer<Registered> each)
            throws SQLException {
        ClusterIdentity identity;
        try (Connection c = pg.connect(node)) {
            identity = ServerInfo.identity(c);
        }
        for (RepositoryConfig rc : config.repositories()) {
            Repository repo = Repository.open(rc, config.cluster(), true);
            ClusterRecord wanted = ClusterRecord.of(config.cluster(), identity, Instant.now().toString(), createdBy);
            ClusterRecord stored = repo.register(wanted);
            if (!stored.sameIdentity(identity)) {
                throw WalferryException.refused("repository " + repo.describe() + " already holds cluster " + config.cluster()
                        + " with system identifier " + stored.systemIdentifier() + ", PostgreSQL " + stored.pgVersion()
                        + "; the server is " + identity.systemIdentifierText() + ", PostgreSQL " + identity.version(),
                        "use another repository path or cluster name; walferry never mixes two clusters' WAL");
            }
            each.accept(new Registered(repo, stored, stored == wanted));
        }
    }
}
