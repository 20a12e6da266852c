package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.Callable;

/** Registers the cluster, as the running server identifies it, in every repository. Safe to run again. */
@Command(name = "repo-create", mixinStandardHelpOptions = true, description = "Register the cluster (system identifier, version, segment size), as the primary (or --node) reports it, "
        + "in every repository.")
final class RepoCreateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws SQLException {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        ClusterIdentity identity;
        try (Connection c = new PgConnector(config.connection()).connect(ctx.nodeOrPrimary())) {
            identity = ServerInfo.identity(c);
        }
        PrintWriter out = main.out();
        ArrayNode json = Output.JSON.createArrayNode();
        for (RepositoryConfig rc : config.repositories()) {
            Repository repo = Repository.open(rc, config.cluster(), true);
            ClusterRecord wanted = ClusterRecord.of(config.cluster(), identity, Instant.now().toString(), "walferry " + Main.VERSION);
            ClusterRecord stored = repo.register(wanted);
            if (!stored.sameIdentity(identity)) {
                throw WalferryException.refused("repository " + repo.describe() + " already holds cluster " + config.cluster()
                        + " with system identifier " + stored.systemIdentifier() + ", PostgreSQL " + stored.pgVersion()
                        + "; the server is " + identity.systemIdentifierText() + ", PostgreSQL " + identity.version(),
                        "use another repository path or cluster name; walferry never mixes two clusters' WAL");
            }
            String state = stored == wanted ? "registered" : "already registered";
            if (ctx.json()) {
                json.addObject().put("repository", repo.name()).put("state", state)
                        .put("system_identifier", stored.systemIdentifier()).put("pg_version", stored.pgVersion())
                        .put("wal_segment_size", stored.walSegmentSize());
            } else {
                out.printf("%s: %s cluster %s (system identifier %s, PostgreSQL %d, %d MB WAL segments)%n", repo.describe(),
                        state, config.cluster(), stored.systemIdentifier(), stored.pgVersion(), stored.walSegmentSize() >> 20);
            }
        }
        if (ctx.json()) {
            Output.json(out, json);
        }
        return 0;
    }
}
