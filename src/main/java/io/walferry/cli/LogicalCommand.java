package io.walferry.cli;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import io.walferry.logical.CutoverComparison;
import io.walferry.logical.SchemaSync;
import io.walferry.logical.StreamCreate;
import io.walferry.logical.StreamCutover;
import io.walferry.logical.StreamRunner;
import io.walferry.logical.StreamServers;
import io.walferry.logical.StreamStatus;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.PgConnector;
import io.walferry.replica.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Logical replication streams ({@code logical:} in the configuration): {@code walferry logical create|run|status NAME}. */
@Command(name = "logical", mixinStandardHelpOptions = true, description = "Logical replication into other servers (docs/logical.md).",
        subcommands = {LogicalCommand.Create.class, LogicalCommand.Run.class, LogicalCommand.Status.class, LogicalCommand.Cutover.class,
                LogicalCommand.Resync.class, LogicalCommand.SyncSchema.class})
final class LogicalCommand {
    @ParentCommand
    Main main;

    /** What every subcommand takes: the stream's name. */
    abstract static class StreamCommand implements Callable<Integer> {
        @ParentCommand
        LogicalCommand parent;

        @Parameters(paramLabel = "NAME", description = "The stream, as named in logical: of the configuration.")
        String name;
    }

    /** Publication, slot, schema and data copy in the slot's snapshot. */
    @Command(name = "create", mixinStandardHelpOptions = true, description = {
            "Create a logical stream: check the source, create its publication and a pgoutput slot, copy the schema (tables first, "
                    + "indexes and constraints after the data) and the data, in the slot's snapshot, to the target. Changes are then "
                    + "applied from the slot's consistent point by walferry logical run.",
            "Run again after a failure or an interruption, it starts the copy over (dropping the tables it made); on a stream "
                    + "created already it does nothing."})
    static final class Create extends StreamCommand {
        @Option(names = "--restart", description = "Copy again from scratch: drop the stream's slot and the tables an earlier "
                + "create made on the target (after a lost slot, or a cutover).")
        boolean restart;

        @Override
        public Integer call() {
            return create(parent.main, name, restart);
        }
    }

    /** After the source failed over (or lost the slot): copy again from the source as it is now. */
    @Command(name = "resync", mixinStandardHelpOptions = true, description = {
            "Copy a logical stream again from scratch, from the source as the configuration names it now: after the source failed "
                    + "over (its slot did not follow), or its slot was dropped or lost. Drops the stream's slot (if any) and the tables "
                    + "the stream made on the target, then copies as create does; changes then apply from the new slot "
                    + "(walferry logical run). The same as walferry logical create NAME --restart."})
    static final class Resync extends StreamCommand {
        @Override
        public Integer call() {
            return create(parent.main, name, true);
        }
    }

    /** Additive schema changes of the source applied to the target: new columns, new tables copied so that they meet the stream. */
    @Command(name = "sync-schema", mixinStandardHelpOptions = true, description = {
            "Make the target of a logical stream match the source again after additive schema changes (after the stream stopped on "
                    + "schema drift, or before): a column the source has and the target lacks is added (its type, a constant "
                    + "default, NOT NULL where that can hold); a table of the stream's selection that the target lacks is added to "
                    + "the publication and copied in a snapshot that meets the stream exactly. The stream then resumes (walferry "
                    + "logical run; an agent tries again within 60 s).",
            "Anything else (a changed type, a renamed column, a dropped column the target needs) is refused in one line, "
                    + "changing nothing: walferry logical resync NAME copies again."})
    static final class SyncSchema extends StreamCommand {
        @Option(names = "--dry-run", description = "Show what would change on the target, change nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            Context ctx = parent.main.context();
            ProgressLine progress = new ProgressLine(parent.main.err(), "copy", ctx.json());
            StreamServers servers = servers(ctx, name);
            Optional<java.nio.file.Path> nodeBin = servers.stream().source().node().flatMap(ctx.config()::node)
                    .flatMap(NodeConfig::binDirectory);
            SchemaSync.Result r = new SchemaSync(servers, major -> PgBinaries.findClient(Optional.ofNullable(parent.main.options.pgBin),
                    nodeBin, major)).sync(dryRun, progress::copied);
            progress.finish();
            PrintWriter out = parent.main.out();
            String result = r.plan().nothingToDo() ? "nothing to do" : r.dryRun() ? "planned" : "synced";
            if (ctx.json()) {
                com.fasterxml.jackson.databind.node.ObjectNode o = Output.object().put("stream", r.stream()).put("result", result)
                        .put("dry_run", r.dryRun());
                com.fasterxml.jackson.databind.node.ArrayNode columns = o.putArray("columns");
                r.plan().columns().forEach(c -> columns.addObject().put("table", c.table().toString()).put("column", c.column())
                        .put("type", c.type()).put("default", c.defaultText().orElse(null)).put("not_null", c.notNull())
                        .put("statement", c.statement()));
                com.fasterxml.jackson.databind.node.ArrayNode tables = o.putArray("tables");
                r.plan().tables().forEach(t -> tables.add(t.toString()));
                com.fasterxml.jackson.databind.node.ArrayNode published = o.putArray("publication_added");
                r.publicationAdded().forEach(t -> published.add(t.toString()));
                o.put("copied_at", r.copiedAt().map(Object::toString).orElse(null)).put("bytes", r.bytes())
                        .put("seconds", r.took().toMillis() / 1000.0);
                Output.json(out, o);
                return 0;
            }
            if (r.plan().nothingToDo()) {
                out.printf("logical stream %s: the target's tables match the source's: nothing to do%n", r.stream());
                return 0;
            }
            String verb = r.dryRun() ? "would " : "";
            r.plan().columns().forEach(c -> out.printf("%s%s%n", r.dryRun() ? "would run: " : "", c.statement()));
            r.plan().tables().forEach(t -> out.printf("%scopy table %s%s%n", verb, t,
                    r.publicationAdded().contains(t) ? " (added to publication " + servers.stream().publication() + ")" : ""));
            if (!r.dryRun()) {
                out.printf("logical stream %s synced in %.1f s: %d columns added, %d tables copied%s; the stream resumes with walferry "
                                + "logical run %s%n", r.stream(), r.took().toMillis() / 1000.0, r.plan().columns().size(), r.plan().tables().size(),
                        r.copiedAt().map(at -> " (" + Output.bytes(r.bytes()) + ", their changes apply from " + at + ")").orElse(""), r.stream());
            }
            return 0;
        }
    }

    /**
     * The stream's servers; a stream the agents run ({@code run: agent}) follows the cluster's primary, so its source is
     * the node that runs as the primary now (as configured when none or several do).
     */
    static StreamServers servers(Context ctx, String name) {
        LogicalStreamConfig stream = ctx.config().logicalStream(name);
        if (stream.run() == LogicalStreamConfig.RunBy.AGENT) {
            Topology topology = new Topology(ctx.config(), new PgConnector(ctx.config().connection()));
            List<String> primaries = ctx.config().nodes().stream().filter(topology::isRunningPrimary).map(NodeConfig::name).toList();
            stream = StreamStatus.atPrimary(stream, ctx.config().nodes(), primaries);
        }
        return new StreamServers(stream);
    }

    private static int create(Main main, String name, boolean restart) {
        Context ctx = main.context();
        ProgressLine progress = new ProgressLine(main.err(), "copy", ctx.json());
        StreamServers servers = servers(ctx, name);
        Optional<java.nio.file.Path> nodeBin = servers.stream().source().node().flatMap(ctx.config()::node).flatMap(NodeConfig::binDirectory);
        StreamCreate.Result r = new StreamCreate(servers, major -> PgBinaries.findClient(Optional.ofNullable(main.options.pgBin), nodeBin, major))
                .create(restart, progress::copied);
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
                    .put("tables", r.tables()).put("bytes", r.bytes()).put("seconds", r.took().toMillis() / 1000.0)
                    .put("subscription", r.subscription().orElse(null)));
        } else if (r.kind() == io.walferry.logical.CreateStart.Kind.CREATED) {
            out.printf("logical stream %s exists already (applied up to %s): nothing to do%n", r.stream(), applyFrom);
        } else {
            out.printf("logical stream %s created%s: %d tables, %s copied in %.1f s through slot %s and publication %s; changes apply "
                            + "from %s (%s)%n", r.stream(), r.kind() == io.walferry.logical.CreateStart.Kind.AGAIN
                            ? " again" : "", r.tables(), Output.bytes(r.bytes()), r.took().toMillis() / 1000.0, r.slot(), r.publication(),
                    applyFrom, r.subscription().map(s -> "by subscription " + s + " on the target").orElse("walferry logical run " + r.stream()));
        }
        return 0;
    }

    /** One stream's state, from both sides. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = {
            "Show a logical stream: its phase, whether a process applies it, the source's WAL not yet confirmed by the stream "
                    + "(slot lag), the WAL its slot retains and safe_wal_size, the apply lag in seconds, rows and transactions per "
                    + "second, and the last error. Each server is read on its own: one down still shows the other's half.",
            "Exits 1 when the stream stopped on an error, its slot is lost, or a server cannot be read."})
    static final class Status extends StreamCommand {
        @Override
        public Integer call() {
            Context ctx = parent.main.context();
            StreamStatus s = StreamStatus.read(servers(ctx, name));
            if (ctx.json()) {
                Output.json(parent.main.out(), StreamStatusView.json(s));
            } else {
                StreamStatusView.render(parent.main.out(), java.util.List.of(s));
            }
            return s.unhealthy() ? 1 : 0;
        }
    }

    /** Moves the application from the source to the target: writes stopped, everything applied, every table compared. */
    @Command(name = "cutover", mixinStandardHelpOptions = true, description = {
            "Cut a logical stream over: make the source database read-only for new sessions, end the sessions from before (idle ones "
                    + "at once, those in a transaction after --grace), wait until the stream has applied everything up to the source's "
                    + "final position (applying it itself when no walferry logical run does), copy the sequences' values, and compare "
                    + "every table on both sides (row count and an order-independent checksum).",
            "When every table is equal the stream is marked cut over (a running walferry logical run stops) and, with --drop-slot, "
                    + "its slot and publication are dropped; exit 0. A mismatch is reported table by table, nothing is dropped, and it "
                    + "exits 1. The source stays read-only in both cases (docs/logical.md#cutover)."})
    static final class Cutover extends StreamCommand {
        @Option(names = "--grace", defaultValue = "30", paramLabel = "SECONDS",
                description = "How long sessions in a transaction on the source may take to finish before they are ended (default 30).")
        long graceSeconds;

        @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
                description = "How long the stream may take to apply everything up to the final position (default 600).")
        long timeoutSeconds;

        @Option(names = "--drop-slot", description = "On success, drop the stream's slot and publication on the source.")
        boolean dropSlot;

        @Override
        public Integer call() {
            Main main = parent.main;
            Context ctx = main.context();
            if (graceSeconds < 0 || timeoutSeconds < 1) {
                throw io.walferry.failure.WalferryException.config("--grace must be 0 or more and --timeout 1 or more seconds",
                        "e.g. --grace 30 --timeout 600");
            }
            ProgressLine progress = new ProgressLine(main.err(), "apply", ctx.json());
            StreamCutover.Result r = new StreamCutover(servers(ctx, name))
                    .cutover(java.time.Duration.ofSeconds(graceSeconds), java.time.Duration.ofSeconds(timeoutSeconds), dropSlot, progress::copied);
            progress.finish();
            PrintWriter out = main.out();
            boolean equal = r.comparison().equal();
            if (ctx.json()) {
                com.fasterxml.jackson.databind.node.ObjectNode o = Output.object().put("stream", r.stream())
                        .put("result", equal ? "cut over" : "mismatch").put("final_lsn", r.finalLsn().toString())
                        .put("sessions_ended", r.sessionsEnded()).put("sequences", r.sequences()).put("slot_dropped", r.slotDropped())
                        .put("seconds", r.took().toMillis() / 1000.0);
                com.fasterxml.jackson.databind.node.ArrayNode tables = o.putArray("tables");
                for (CutoverComparison.Table t : r.comparison().tables()) {
                    tables.addObject().put("table", t.name()).put("equal", t.problem().isEmpty()).put("source_rows", t.source().rows())
                            .put("target_rows", t.target().map(s -> s.rows()).orElse(null)).put("source_checksum", t.source().checksum())
                            .put("target_checksum", t.target().map(s -> s.checksum()).orElse(null)).put("problem", t.problem().orElse(null));
                }
                Output.json(out, o);
            } else {
                for (CutoverComparison.Table t : r.comparison().tables()) {
                    out.printf("%-40s %s%n", t.name(), t.problem().map(p -> "MISMATCH: " + p).orElse("equal, " + t.source().rows() + " rows"));
                }
                if (equal) {
                    out.printf("logical stream %s cut over at %s: %d tables equal, %d sequences set, %d source sessions ended%s%n", r.stream(),
                            r.finalLsn(), r.comparison().tables().size(), r.sequences(), r.sessionsEnded(),
                            r.slotDropped() ? "; slot and publication dropped" : "");
                } else {
                    out.printf("logical stream %s NOT cut over: %d of %d tables differ; nothing was dropped, the source stays read-only%n",
                            r.stream(), r.comparison().mismatches().size(), r.comparison().tables().size());
                }
            }
            return equal ? 0 : 1;
        }
    }

    /** Applies the stream's changes until stopped (SIGTERM, SIGINT). */
    @Command(name = "run", mixinStandardHelpOptions = true, description = {
            "Apply a logical stream's changes to its target until stopped (a service of its own: SIGTERM stops it cleanly).",
            "Whole source transactions are applied in commit order, in groups, each group in one target transaction with the "
                    + "stream's position; the slot is told only what the target has committed. After a crash it resumes from the "
                    + "target's position: nothing lost, nothing applied twice. A server out of reach pauses it (it retries); schema "
                    + "drift, a missing privilege or a row the target lacks stop it with one line (exit 5 or 4)."})
    static final class Run extends StreamCommand {
        @Override
        public Integer call() throws InterruptedException {
            Context ctx = parent.main.context();
            LogicalStreamConfig stream = ctx.config().logicalStream(name);
            StreamServers servers = new StreamServers(stream);
            if (servers.subscription()) {
                parent.main.out().printf("logical stream %s has mode: subscription: subscription %s on the target applies it, nothing to "
                        + "run (walferry logical status %s)%n", name, servers.subscriptionName(), name);
                return 0;
            }
            StreamRunner runner = new StreamRunner(servers);
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
