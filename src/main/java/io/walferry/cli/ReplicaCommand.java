package io.walferry.cli;

import io.walferry.backup.BackupSource;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.replica.ReplicaProvisioner;
import io.walferry.replica.Repointer;
import io.walferry.replica.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Replicas: {@code walferry replica create|repoint --node NAME}. */
@Command(name = "replica", description = "Manage replicas.", subcommands = {ReplicaCommand.Create.class, ReplicaCommand.Repoint.class})
final class ReplicaCommand {
    @ParentCommand
    Main main;

    /** Makes a node a replica of the current primary from the newest backup, starts it, waits until it has caught up. */
    @Command(name = "create", description = "Make a node (--node) a replica of the current primary, from the newest backup "
            + "(of the first repository that holds one, or of --repository).")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        ReplicaCommand parent;

        @Option(names = "--mode", defaultValue = "streaming", description = "streaming (a slot on the primary, archive as fallback) or archive.")
        String mode;

        @Option(names = "--backup", description = "The backup to start from (default: the newest).")
        String backup;

        @Option(names = "--repository", description = "The repository to restore from (default: the first that holds the backup).")
        String repositoryName;

        @Option(names = "--force", description = "Replace what the node's data directory holds.")
        boolean force;

        @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the replica to catch up (default 600).")
        long timeoutSeconds;

        @Mixin
        TablespaceOptions tablespaces = new TablespaceOptions();

        @Override
        public Integer call() {
            NotAsRoot.check("replica create");
            Main main = parent.main;
            Context ctx = main.context();
            WalferryConfig config = ctx.config();
            NodeConfig node = ctx.node();
            ReplicaProvisioner.Mode m = switch (mode) {
                case "streaming" -> ReplicaProvisioner.Mode.STREAMING;
                case "archive" -> ReplicaProvisioner.Mode.ARCHIVE;
                default -> throw io.walferry.failure.WalferryException.config("--mode must be streaming or archive, not " + mode, null);
            };
            BackupSource source = BackupSource.choose(config, Optional.ofNullable(repositoryName), backup,
                    io.walferry.backup.RecoveryTarget.none());
            PgBinaries bin = PgBinaries.find(Optional.ofNullable(main.options.pgBin), node.binDirectory());
            ProgressLine progress = new ProgressLine(main.err(), "restore", ctx.json());
            ReplicaProvisioner.Result r = new ReplicaProvisioner(config, new PgConnector(config.connection()), new PgControl(bin),
                    source.repository(), ctx.restoreCommand(), progress)
                    .create(node, m, source.backup().id(), force, tablespaces.placement(), Duration.ofSeconds(timeoutSeconds));
            progress.finish();
            PrintWriter out = main.out();
            if (ctx.json()) {
                Output.json(out, Output.object().put("node", r.node()).put("mode", m.name().toLowerCase()).put("backup", r.backup())
                        .put("primary", r.primary().orElse(null)).put("slot", r.slot().orElse(null)).put("replayed_to", r.caughtUpTo().toString()));
            } else {
                out.printf("node %s is a %s replica%s, from backup %s; it has replayed up to %s%n", r.node(), m.name().toLowerCase(),
                        r.primary().map(p -> " of " + p + r.slot().map(s -> " through slot " + s).orElse("")).orElse(""), r.backup(),
                        r.caughtUpTo());
            }
            return 0;
        }
    }

    /** Points one streaming replica at the current primary, with a slot there: what promote does for every replica. */
    @Command(name = "repoint", description = "Point a streaming replica (--node) at the current primary, with a slot there "
            + "(after a promotion that could not reach it). An archive replica needs nothing.")
    static final class Repoint implements Callable<Integer> {
        @ParentCommand
        ReplicaCommand parent;

        @Override
        public Integer call() {
            Main main = parent.main;
            Context ctx = main.context();
            WalferryConfig config = ctx.config();
            NodeConfig node = ctx.node();
            PgConnector pg = new PgConnector(config.connection());
            NodeConfig primary = new Topology(config, pg).requirePrimary(node.name());
            String done = new Repointer(config, pg).repoint(node, primary);
            PrintWriter out = main.out();
            if (ctx.json()) {
                Output.json(out, Output.object().put("node", node.name()).put("primary", primary.name()).put("result", done));
            } else {
                out.println("replica " + done);
            }
            return 0;
        }
    }
}
