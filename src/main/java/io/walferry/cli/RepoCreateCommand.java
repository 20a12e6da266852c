package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.walferry.archive.ClusterRegistration;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgConnector;
import io.walferry.repository.ClusterRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.sql.SQLException;
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
        PrintWriter out = main.out();
        ArrayNode json = Output.JSON.createArrayNode();
        ClusterRegistration.register(config, new PgConnector(config.connection()), ctx.nodeOrPrimary(), "walferry " + Main.VERSION, r -> {
            ClusterRecord stored = r.record();
            String state = r.added() ? "registered" : "already registered";
            if (ctx.json()) {
                json.addObject().put("repository", r.repository().name()).put("state", state)
                        .put("system_identifier", stored.systemIdentifier()).put("pg_version", stored.pgVersion())
                        .put("wal_segment_size", stored.walSegmentSize());
            } else {
                out.printf("%s: %s cluster %s (system identifier %s, PostgreSQL %d, %d MB WAL segments)%n", r.repository().describe(),
                        state, config.cluster(), stored.systemIdentifier(), stored.pgVersion(), stored.walSegmentSize() >> 20);
            }
        });
        if (ctx.json()) {
            Output.json(out, json);
        }
        return 0;
    }
}
