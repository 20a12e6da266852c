package io.walferry.cli;

import io.walferry.archive.ArchiveGetter;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.BackupLabel;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import io.walferry.agent.FastPathDirectory;
import io.walferry.archive.AtomicFile;
import io.walferry.archive.PrefetchQueue;
import io.walferry.archive.Prefetcher;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * restore_command: hands PostgreSQL one verified WAL file. "Not in the archive" exits 1 quietly, as PostgreSQL
 * expects. A copy that cannot be verified is an error: a standby gets exit 1 and asks again later, but archive
 * recovery gets 126, which stops it, because ending recovery at that file would silently lose what follows.
 */
@Command(name = "archive-get", mixinStandardHelpOptions = true, description = "Fetch one WAL file (restore_command = 'walferry archive-get %%f %%p').")
final class ArchiveGetCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "WAL_FILE", description = "The file PostgreSQL asks for: %f.")
    String walFile;

    @Parameters(index = "1", paramLabel = "TARGET", description = "Where to write it: %p.")
    Path target;

    @Override
    public Integer call() {
        WalFileName name;
        try {
            name = WalFileName.parse(walFile);
        } catch (IllegalArgumentException e) {
            throw WalferryException.config(e.getMessage(), "restore_command must be 'walferry archive-get %f %p'");
        }
        try {
            Context ctx = main.context();
            List<Repository> repositories = ctx.config().repositories().stream()
                    .map(rc -> Repository.open(rc, ctx.config().cluster(), false)).toList();
            ArchiveGetter.Outcome outcome = prefetched(ctx, repositories, name) ? ArchiveGetter.Outcome.FOUND
                    : new ArchiveGetter(repositories).get(name, target);
            if (ctx.json()) {
                Output.json(main.out(), Output.object().put("file", walFile)
                        .put("found", outcome == ArchiveGetter.Outcome.FOUND));
            }
            return outcome == ArchiveGetter.Outcome.FOUND ? 0 : ExitCode.FAILED.code();
        } catch (RuntimeException e) {
            // Anything but a clean "not found" must not read as one: see docs/exit-codes.md.
            WalferryException we = e instanceof WalferryException w ? w
                    : new WalferryException(Failure.FAILED, "unexpected failure: " + e, "run with --debug for details", e);
            if (Files.exists(Path.of("standby.signal"))) {
                throw new ExitWith(ExitCode.FAILED, we);
            }
            if (Files.exists(Path.of("recovery.signal"))) {
                throw new ExitWith(ExitCode.RECOVERY_MUST_STOP, new WalferryException(we.kind(), we.getMessage()
                        + "; stopping archive recovery rather than ending it early", we.hint(), we));
            }
            // By hand, 1 would read as "not found": what failed otherwise (%p not writable, say) is 3.
            ExitCode byHand = ExitCode.of(we.kind());
            throw new ExitWith(byHand == ExitCode.FAILED ? ExitCode.REPOSITORY : byHand, we);
        }
    }

    /**
     * With prefetch on and PostgreSQL asking (the working directory is its data directory): hands over the
     * segment if it is queued, else tells the prefetcher where replay is; and starts a prefetcher if none runs.
     */
    private boolean prefetched(Context ctx, List<Repository> repositories, WalFileName name) {
        int depth = ctx.config().archive().prefetch();
        Path dataDir = Path.of("").toAbsolutePath();
        if (depth == 0 || !Files.exists(dataDir.resolve("PG_VERSION"))) {
            return false;
        }
        try {
            FastPathDirectory.offerWaitFifo(dataDir, ctx.env());
            PrefetchQueue queue = PrefetchQueue.of(dataDir);
            queue.prepare();
            if (name instanceof WalFileName.Segment seg) {
                boolean taken = queue.take(seg, target);
                // replay is at seg now: what is queued before it is stale, and the prefetcher goes on after it
                queue.restartAfter(seg, segmentSize(repositories));
                startPrefetcher(ctx, queue, dataDir, () -> { });
                return taken;
            }
            if (name instanceof WalFileName.History) {
                startAhead(ctx, queue, dataDir, repositories);
            }
            return false;
        } catch (IOException | RuntimeException e) {
            // prefetch only saves time: without it archive-get fetches the file itself
            LoggerFactory.getLogger(ArchiveGetCommand.class).debug("prefetch not used: {}", e.toString());
            return false;
        }
    }

    /**
     * A restored data directory asks for the next timeline's history file before any segment: its
     * backup_label says which segment comes next, so the prefetcher starts on it now, while this JVM answers
     * for the history file, and the first segment is not a JVM start of its own. Only when no prefetcher runs:
     * a running one knows better where replay is.
     */
    private static void startAhead(Context ctx, PrefetchQueue queue, Path dataDir, List<Repository> repositories) throws IOException {
        java.util.Optional<BackupLabel> label = BackupLabel.read(dataDir);
        if (label.isPresent()) {
            startPrefetcher(ctx, queue, dataDir, () -> queue.startAt(label.get().checkpointSegment(segmentSize(repositories))));
        }
    }

    private static long segmentSize(List<Repository> repositories) {
        return repositories.get(0).requireClusterRecord().walSegmentSize();
    }

    /** What to do once it is sure that no prefetcher runs, before one is started. */
    private interface BeforeStart {
        void run() throws IOException;
    }

    private static void startPrefetcher(Context ctx, PrefetchQueue queue, Path dataDir, BeforeStart beforeStart) throws IOException {
        Path lock = queue.dir().resolve(".lock");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock l = ch.tryLock()) {
            if (l == null) {
                return; // one runs
            }
            queue.startAfresh();
            beforeStart.run();
        }
        // Below replay in CPU priority: on a busy core, PostgreSQL's startup process must not wait for it.
        // Started in the background by a shell that exits at once: a child of this JVM would keep its
        // "process reaper" thread in waitpid, and the JVM waits at exit for threads in native code: that wait
        // would delay the history call that starts it, before replay begins (docs/benchmarks.md).
        List<String> cmd = List.of("sh", "-c", "nice -n 10 setsid \"$0\" \"$@\" </dev/null >>\"$WALFERRY_PREFETCH_LOG\" 2>&1 & echo $!",
                ctx.launcher(), "-c", ctx.config().source().toString(), "archive-prefetch", "--data-directory", dataDir.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(queue.dir().resolve("prefetch.log").toFile()));
        pb.environment().put("WALFERRY_PREFETCH_LOG", queue.dir().resolve("prefetch.log").toString());
        Process p = pb.start();
        String pid = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Right away, not once its JVM is up: the launcher then waits for the next segment instead of
        // starting a JVM of its own (nice, setsid and the launcher exec, so the pid stays the prefetcher's).
        if (pid.matches("\\d+")) {
            AtomicFile.write(queue.dir().resolve(Prefetcher.PID), pid + "\n");
        }
    }
}
