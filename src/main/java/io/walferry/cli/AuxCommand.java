package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.auxdir.AuxSync;
import io.walferry.config.AuxConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.repository.format.EncodeGate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Aux directories (aux_directories): {@code walferry aux sync [--node N]}. */
@Command(name = "aux", mixinStandardHelpOptions = true, description = "Directories outside PostgreSQL that replicas need (aux_directories).",
        subcommands = AuxCommand.Sync.class)
final class AuxCommand {
    @ParentCommand
    Main main;

    /** What the agent does every aux_interval, now: a push on the primary, a pull on a replica. */
    @Command(name = "sync", mixinStandardHelpOptions = true, description = {"Bring the node's (--node) aux directories and the "
            + "repositories in step now, as its agent does every aux_interval: on the primary, store what changed and a new manifest; "
            + "on a replica, make each directory hold what the newest manifest lists (files of other content are replaced, each "
            + "verified and renamed into place; what the last pull placed and the manifest no longer lists is removed; what was made on the replica stays unless --prune).",
            "Something that could not be pushed or pulled is named on stderr, and the rest is done; the exit code is then that of "
                    + "the first (3: a repository, or a corrupt object; 1: a file here)."})
    static final class Sync implements Callable<Integer> {
        @ParentCommand
        AuxCommand parent;

        @Option(names = "--name", paramLabel = "NAME", description = "Only this aux directory (default: every one).")
        String name;

        @ArgGroup(exclusive = true)
        Way way;

        static final class Way {
            @Option(names = "--push", description = "Push, whatever the node's server is (it need not run).")
            boolean push;

            @Option(names = "--pull", description = "Pull, whatever the node's server is (it need not run).")
            boolean pull;
        }

        @Option(names = "--prune", description = "On a pull, also remove what the manifest does not list and no pull placed.")
        boolean prune;

        @Option(names = "--recheck", description = "On a push, look for every object the directory's files need, not only "
                + "for new ones: stores again an object that was removed from a repository (a corrupt one moved aside).")
        boolean recheck;

        @Override
        public Integer call() {
            Main main = parent.main;
            main.notAsRoot().check("aux sync");
            Context ctx = main.context();
            WalferryConfig config = ctx.config();
            NodeConfig node = ctx.node();
            ProgressLine progress = new ProgressLine(main.err(), "aux sync", ctx.json());
            AuxSync sync = new AuxSync(config, node, AuxSync.repositories(config), EncodeGate.limit(config.archive().workers()), progress);
            List<AuxConfig.Directory> directories = sync.directories(name);
            AuxSync.Direction direction = way != null ? (way.push ? AuxSync.Direction.PUSH : AuxSync.Direction.PULL)
                    : AuxSync.direction(new PgConnector(config.connection()), node).orElseThrow(() -> WalferryException.postgres(
                    "node " + node.name() + " does not answer, so walferry cannot tell whether to push (a primary) or pull (a replica)",
                    "start its server, or pass --push or --pull", null));
            List<AuxSync.Outcome> outcomes = new ArrayList<>();
            for (AuxConfig.Directory d : directories) {
                outcomes.add(direction == AuxSync.Direction.PUSH ? sync.push(d, recheck) : sync.pull(d, prune));
            }
            progress.finish();
            PrintWriter out = main.out();
            if (ctx.json()) {
                ArrayNode a = Output.JSON.createArrayNode();
                outcomes.forEach(o -> a.add(json(o)));
                Output.json(out, a);
            } else {
                outcomes.forEach(o -> render(out, o));
            }
            List<AuxSync.Problem> problems = outcomes.stream().flatMap(o -> o.problems().stream()).toList();
            problems.forEach(p -> main.err().println("walferry: " + p.message()));
            return problems.isEmpty() ? 0 : ExitCode.of(problems.get(0).kind()).code();
        }
    }

    static ObjectNode json(AuxSync.Outcome outcome) {
        ObjectNode o = Output.object().put("name", outcome.name()).put("path", outcome.path().toString());
        switch (outcome) {
            case AuxSync.Pushed p -> {
                o.put("direction", "push").put("present", p.present()).put("files", p.files()).put("bytes", p.bytes())
                        .put("withheld", p.withheld().orElse(null));
                ArrayNode repos = o.putArray("repositories");
                for (AuxSync.RepositoryPush r : p.repositories()) {
                    repos.addObject().put("repository", r.repository()).put("manifest", r.manifest().orElse(null))
                            .put("manifest_written", r.written()).put("objects_stored", r.objectsStored()).put("bytes_stored", r.bytesStored());
                }
            }
            case AuxSync.Pulled p -> o.put("direction", "pull").put("manifest", p.manifest().orElse(null))
                    .put("repository", p.repository().orElse(null)).put("files", p.files()).put("bytes", p.bytes())
                    .put("written", p.written()).put("bytes_written", p.bytesWritten()).put("unchanged", p.unchanged())
                    .put("links", p.links()).put("modes_set", p.modes()).put("removed", p.removed());
        }
        ArrayNode skipped = o.putArray("skipped");
        outcome.skipped().forEach(s -> skipped.addObject().put("path", s.path()).put("reason", s.reason()));
        ArrayNode problems = o.putArray("problems");
        outcome.problems().forEach(p -> problems.add(p.message()));
        return o;
    }

    static void render(PrintWriter out, AuxSync.Outcome outcome) {
        String head = "aux " + outcome.name() + " (" + outcome.path() + "): ";
        switch (outcome) {
            case AuxSync.Pushed p when p.withheld().isPresent() -> out.println(head + "nothing pushed: " + p.withheld().get());
            case AuxSync.Pushed p when !p.present() -> out.println(head + "not on this node: nothing to push");
            case AuxSync.Pushed p -> {
                out.println(head + p.files() + " files, " + Output.bytes(p.bytes()));
                for (AuxSync.RepositoryPush r : p.repositories()) {
                    out.println("  repository " + r.repository() + ": " + (r.written() ? "manifest " + r.manifest().orElseThrow()
                            + " stored, " + r.objectsStored() + " new objects (" + Output.bytes(r.bytesStored()) + ")"
                            : "unchanged (manifest " + r.manifest().orElseThrow() + ")"));
                }
            }
            case AuxSync.Pulled p when p.manifest().isEmpty() -> out.println(head + "no repository holds a manifest yet: nothing to pull");
            case AuxSync.Pulled p -> out.println(head + "manifest " + p.manifest().get() + " of repository " + p.repository().orElseThrow()
                    + ": " + p.written() + " files written (" + Output.bytes(p.bytesWritten()) + "), " + p.unchanged() + " unchanged, "
                    + p.links() + " links made, " + p.modes() + " modes set, " + p.removed() + " removed");
        }
        outcome.skipped().forEach(s -> out.println("  skipped " + s.path() + ": " + s.reason()));
    }
}
