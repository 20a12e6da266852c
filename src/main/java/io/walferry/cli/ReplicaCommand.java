package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.auxdir.AuxSync;
import io.walferry.backup.BackupSource;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PgRewind;
import io.walferry.replica.ReplicaProvisioner;
import io.walferry.replica.Repointer;
import io.walferry.replica.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Replicas: {@code walferry replica create|repoint --node NAME}. */
@Command(name = "replica", mixinStandardHelpOptions = true, description = "Manage replicas.", subcommands = {ReplicaCommand.Create.class, ReplicaCommand.Repoint.class,
        ReplicaCommand.Rejoin.class})
final class ReplicaCommand {
    @ParentCommand
    Main main;

    /** Makes a node a replica of the current primary from the newest backup, starts it, waits until it has caught up. */
    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a node (--node) a replica of the current primary, from the newest backup "
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

        @Mixin
        ReplicaStartOptions start = new ReplicaStartOptions();

        @Override
        public Integer call() {
            Main main = parent.main;
            main.notAsRoot().check("replica create");
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
                    .create(node, m, source.backup().id(), force, start.placement(), start.timeout());
            progress.finish();
            PrintWriter out = main.out();
            if (ctx.json()) {
                ObjectNode o = Output.object().put("node", r.node()).put("mode", m.name().toLowerCase())
                        .put("backup", r.backup()).put("primary", r.primary().orElse(null)).put("slot", r.slot().orElse(null))
                        .put("replayed_to", r.caughtUpTo().toString()).put("server_log", r.serverLog().toString());
                ArrayNode aux = o.putArray("aux_directories");
                r.aux().forEach(p -> aux.add(AuxCommand.json(p)));
                Output.json(out, o);
            } else {
                out.printf("node %s is a %s replica%s, from backup %s; it has replayed up to %s; its server log is %s%n", r.node(),
                        m.name().toLowerCase(), r.primary().map(p -> " of " + p + r.slot().map(s -> " through slot " + s).orElse("")).orElse(""),
                        r.backup(), r.caughtUpTo(), r.serverLog());
                r.aux().forEach(p -> AuxCommand.render(out, p));
            }
            // The replica serves; an aux directory it could not fill is said, and its exit code tells a script.
            List<AuxSync.Problem> problems = r.aux().stream().flatMap(p -> p.problems().stream()).toList();
            problems.forEach(p -> main.err().println("walferry: " + p.message() + " (the replica runs; its agent pulls again every aux_interval)"));
            return problems.isEmpty() ? 0 : ExitCode.of(problems.get(0).kind()).code();
        }
    }

    /** Points one streaming replica at the current primary, with a slot there: what promote does for every replica. */
    @Command(name = "repoint", mixinStandardHelpOptions = true, description = "Point a streaming replica (--node) at the current primary, with a slot there "
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

    /** Makes a node of this host (an old primary, a diverged replica) a streaming replica of the current primary again. */
    @Command(name = "rejoin", mixinStandardHelpOptions = true, description = {"Make a node of this host (--node) a streaming replica of the current primary again: an old "
            + "primary fenced by promote, or a replica that has diverged.",
            "It is stopped if it runs, rewound with pg_rewind (after crash recovery if it was not shut down cleanly; pg_rewind needs "
                    + "wal_log_hints = on or data checksums, see walferry check), and started as a standby through a slot on the "
                    + "primary. Where pg_rewind cannot, it is restored from the newest backup instead (as replica create --force)."})
    static final class Rejoin implements Callable<Integer> {
        @ParentCommand
        ReplicaCommand parent;

        @Option(names = "--repository", description = "Where to restore from if pg_rewind cannot rewind (default: the first that "
                + "holds a backup).")
        String repositoryName;

        @Mixin
        ReplicaStartOptions start = new ReplicaStartOptions();

        @Override
        public Integer call() {
            Main main = parent.main;
            main.notAsRoot().check("replica rejoin");
            Context ctx = main.context();
            WalferryConfig config = ctx.config();
            NodeConfig node = ctx.node();
            PgBinaries bin = PgBinaries.find(Optional.ofNullable(main.options.pgBin), node.binDirectory());
            ProgressLine progress = new ProgressLine(main.err(), "restore", ctx.json());
            io.walferry.replica.Rejoin.Result r = new io.walferry.replica.Rejoin(config, new PgConnector(config.connection()),
                    new PgControl(bin), new PgRewind(bin), ctx.restoreCommand())
                    .rejoin(node, () -> BackupSource.choose(config, Optional.ofNullable(repositoryName), null,
                            io.walferry.backup.RecoveryTarget.none()).repository(), start.placement(), progress, start.timeout());
            progress.finish();
            PrintWriter out = main.out();
            String how = switch (r.how()) {
                case ALREADY -> "already a streaming replica of " + r.primary() + ": nothing to do";
                case NO_REWIND_NEEDED -> "a streaming replica of " + r.primary() + " again (its WAL ended where the new timeline began: "
                        + "no rewind needed)";
                case REWOUND -> "a streaming replica of " + r.primary() + " again, rewound with pg_rewind";
                case RECREATED -> "a streaming replica of " + r.primary() + " again, restored from the newest backup";
            };
            if (ctx.json()) {
                Output.json(out, Output.object().put("node", r.node()).put("primary", r.primary()).put("how", r.how().name().toLowerCase())
                        .put("note", r.note().orElse(null)).put("replayed_to", r.caughtUpTo().toString())
                        .put("server_log", r.serverLog().toString()));
            } else {
                out.printf("node %s is %s; it has replayed up to %s (server log: %s)%n", r.node(), how, r.caughtUpTo(), r.serverLog());
                r.note().ifPresent(n -> out.println("  note: " + n));
            }
            return 0;
        }
    }
}
