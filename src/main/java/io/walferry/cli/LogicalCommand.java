package io.walferry.cli;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.logical.StreamCreate;
import io.walferry.logical.StreamRunner;
import io.walferry.logical.StreamServers;
import io.walferry.logical.StreamStatus;
import io.walferry.postgres.PgBinaries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Logical replication streams ({@code logical:} in the configuration): {@code walferry logical create|run|status NAME}. */
@Command(name = "logical", mixinStandardHelpOptions = true, description = "Logical replication into other servers (docs/logical.md).",
        subcommands = {LogicalCommand.Create.class, LogicalCommand.Run.class, LogicalCommand.Status.class})
final class LogicalCommand {
    @ParentCommand
    Main main;

    /** Publication, slot, schema and data copy in the slot's snapshot. */
    @Command(name = "create", mixinStandardHelpOptions = true, description = {
            "Create a logical stream: check the source, create its publication and a pgoutput slot, copy the schema (tables first, "
                    + "indexes and constraints after the data) and the data, in the slot's snapshot, to the target. Changes are then "
                    + "applied from the slot's consistent point by walferry logical run.",
            "Run again after a failure or an interruption, it starts the copy over (dropping the tables it made); on a stream "
                    + "created already it does nothing."})
    static final class Create implements Callable<Integer> {
        @ParentCommand
        LogicalCommand parent;

        @Parameters(paramLabel = "NAME", description = "The stream, as named in logical: of the configuration.")
        String name;

        @Option(names = "--restart", description = "Copy again from scratch: drop the stream's slot and the tables an earlier "
                + "create made on the target (after a lost slot, or a cutover).")
        boolean restart;

        @Override
        public Integer call() {
            Main main = parent.main;
            Context ctx = main.context();
            LogicalStreamConfig stream = ctx.config().logicalStream(name);
            ProgressLine progress = new ProgressLine(main.err(), "copy", ctx.json());
            StreamCreate.Result r = new StreamCreate(new StreamServers(stream),
                    major -> PgBinaries.findClient(Optional.ofNullable(main.options.pgBin), major)).create(restart, progress::copied);
            progress.finish();
            PrintWriter out = main.out();
            String applyFrom = r.applyFrom().map(Object::toString).orElse(null);
            if (ctx.json()) {
                Output.json(out, Output.object().put("stream", r.stream()).put("result", switch (r.kind()) {
                            case FRESH -> "created";
                            case AGAIN -> "created again";
                            case CREATED -> "exists";
                        }).put("slot", r.slot()).put("publication", r.publication())
                        .put("publication_action", r.publicationAction().name().toLowerCase()).put("apply_from", applyFrom)
                        .put("tables", r.tables()).put("bytes", r.bytes()).put("seconds", r.took().toMillis() / 1000.0));
            } else if (r.kind() == io.walferry.logical.CreateStart.Kind.CREATED) {
                out.printf("logical stream %s exists already (applied up to %s): nothing to do%n", r.stream(), applyFrom);
            } else {
                out.printf("logical stream %s created%s: %d tables, %s copied in %.1f s through slot %s and publication %s; changes apply "
                                + "from %s (walferry logical run %s)%n", r.stream(), r.kind() == io.walferry.logical.CreateStart.Kind.AGAIN
                                ? " again" : "", r.tables(), Output.bytes(r.bytes()), r.took().toMillis() / 1000.0, r.slot(), r.publication(),
                        applyFrom, r.stream());
            }
            return 0;
        }
    }

    /** One stream's state, from both sides. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = {
            "Show a logical stream: its phase, whether a process applies it, the source's WAL not yet confirmed by the stream "
                    + "(slot lag), the WAL its slot retains and safe_wal_size, the apply lag in seconds, rows and transactions per "
                    + "second, and the last error. Each server is read on its own: one down still shows the other's half.",
            "Exits 1 when the stream stopped on an error, its slot is lost, or a server cannot be read."})
    static final class Status implements Callable<Integer> {
        @ParentCommand
        LogicalCommand parent;

        @Parameters(paramLabel = "NAME", description = "The stream, as named in logical: of the configuration.")
        String name;

        @Override
        public Integer call() {
            Context ctx = parent.main.context();
            StreamStatus s = StreamStatus.read(new StreamServers(ctx.config().logicalStream(name)));
            if (ctx.json()) {
                Output.json(parent.main.out(), StreamStatusView.json(s));
            } else {
                StreamStatusView.render(parent.main.out(), java.util.List.of(s));
            }
            return s.unhealthy() ? 1 : 0;
        }
    }

    /** Applies the stream's changes until stopped (SIGTERM, SIGINT). */
    @Command(name = "run", mixinStandardHelpOptions = true, description = {
            "Apply a logical stream's changes to its target until stopped (a service of its own: SIGTERM stops it cleanly).",
            "Whole source transactions are applied in commit order, in groups, each group in one target transaction with the "
                    + "stream's position; the slot is told only what the target has committed. After a crash it resumes from the "
                    + "target's position: nothing lost, nothing applied twice. A server out of reach pauses it (it retries); schema "
                    + "drift, a missing privilege or a row the target lacks stop it with one line (exit 5 or 4)."})
    static final class Run implements Callable<Integer> {
        @ParentCommand
        LogicalCommand parent;

        @Parameters(paramLabel = "NAME", description = "The stream, as named in logical: of the configuration.")
        String name;

        @Override
        public Integer call() throws InterruptedException {
            Context ctx = parent.main.context();
            LogicalStreamConfig stream = ctx.config().logicalStream(name);
            StreamRunner runner = new StreamRunner(new StreamServers(stream));
            java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
            Thread stopper = new Thread(() -> {
                runner.stop();
                try {
                    finished.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "logical-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                runner.run();
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs: it stopped the runner
                }
            }
            return 0;
        }
    }
}
