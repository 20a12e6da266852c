package io.walferry.fastpath;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The prefetcher as a process: the command line it is started with, by archive-get's JVM ({@link #startUnlessRunning})
 * or by the launcher ({@code wf_start_prefetcher}), and how a running one is known: by the pid in the queue's
 * {@value PrefetchQueue#PID} and that process's command line, which must be an {@value #COMMAND} (a pid may be
 * reused). Detached, in a session of its own, below replay in CPU priority (on a busy core PostgreSQL's startup
 * process goes first), logging to the queue's {@value PrefetchQueue#LOG}.
 *
 * @param launcher the walferry launcher to run
 * @param config   the configuration file it runs with
 */
public record PrefetcherProcess(String launcher, Path config) {
    /** The (hidden) command a prefetcher runs. */
    public static final String COMMAND = "archive-prefetch";
    /** Its one required option: the data directory whose replay it follows. */
    public static final String DATA_DIRECTORY = "--data-directory";
    /** The launcher's start for a restored data directory's first call: begin the queue at the backup_label's checkpoint. */
    public static final String FROM_BACKUP_LABEL = "--from-backup-label";

    /** What to do once it is sure that no prefetcher runs, before one is started (with the queue's lock held). */
    @FunctionalInterface
    public interface BeforeStart {
        void run() throws IOException;
    }

    /**
     * Starts a prefetcher for {@code dataDirectory} unless one holds the queue's lock. Before, with the lock held,
     * it clears what an earlier one left ({@link PrefetchQueue#startAfresh}) and runs {@code beforeStart}; after,
     * it writes the new process's pid at once, not once its JVM is up, so that the launcher waits for the next
     * segment instead of starting a JVM of its own. True if it started one.
     */
    public boolean startUnlessRunning(PrefetchQueue queue, Path dataDirectory, BeforeStart beforeStart) throws IOException {
        try (PrefetchQueue.Lock lock = queue.tryLock()) {
            if (lock == null) {
                return false; // one runs
            }
            queue.startAfresh();
            beforeStart.run();
        }
        // Started in the background by a shell that exits at once: a child of this JVM would keep its "process
        // reaper" thread in waitpid, and the JVM waits at exit for threads in native code (docs/benchmarks.md).
        // nice, setsid and the launcher exec, so the shell's $! stays the prefetcher's pid.
        List<String> cmd = List.of("sh", "-c", "nice -n 10 setsid \"$0\" \"$@\" </dev/null >>\"$WALFERRY_PREFETCH_LOG\" 2>&1 & echo $!",
                launcher, "-c", config.toString(), COMMAND, DATA_DIRECTORY, dataDirectory.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(queue.log().toFile()));
        pb.environment().put("WALFERRY_PREFETCH_LOG", queue.log().toString());
        Process p = pb.start();
        String pid = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pid.matches("\\d+")) {
            queue.writePid(Long.parseLong(pid));
        }
        return true;
    }

    /**
     * The process the queue's {@value PrefetchQueue#PID} names, if it is alive and an {@value #COMMAND} of exactly
     * this data directory (stricter than the launcher, which only waits for it: this one may be stopped).
     */
    static Optional<ProcessHandle> running(PrefetchQueue queue, Path dataDirectory) throws IOException {
        OptionalLong pid = queue.pid();
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        List<String> argv;
        try {
            argv = Arrays.asList(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid.getAsLong()), "cmdline")),
                    StandardCharsets.UTF_8).split("\0"));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // gone
        }
        int at = argv.indexOf(DATA_DIRECTORY);
        if (!argv.contains(COMMAND) || at < 0 || at + 1 >= argv.size() || !sameDirectory(argv.get(at + 1), dataDirectory)) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive);
    }

    private static boolean sameDirectory(String argument, Path dataDirectory) throws IOException {
        try {
            return Path.of(argument).toRealPath().equals(dataDirectory.toRealPath());
        } catch (NoSuchFileException e) {
            return false;
        }
    }
}
