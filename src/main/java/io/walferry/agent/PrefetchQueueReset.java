package io.walferry.agent;

import io.walferry.archive.PrefetchQueue;
import io.walferry.archive.Prefetcher;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stops the prefetcher of a data directory that a restore replaces and removes its queue. The queue is in
 * the directory's pg_wal, not tied to the server in it: segments queued for the previous server (same file
 * names, another history) would be handed to the restored one by restore_command without a check, and a
 * prefetcher of the previous server that still ran would queue more of them.
 */
public final class PrefetchQueueReset {
    private static final Logger LOG = LoggerFactory.getLogger(PrefetchQueueReset.class);
    private static final long STOP_SECONDS = 10;

    private PrefetchQueueReset() {
    }

    /** Stops the queue's prefetcher if one runs, then removes the queue. */
    public static void reset(Path dataDirectory) {
        Path queue = PrefetchQueue.directoryOf(dataDirectory);
        if (!Files.isDirectory(queue)) {
            return;
        }
        try {
            runningPrefetcher(queue, dataDirectory).ifPresent(p -> stop(p, queue));
            try (Stream<Path> s = Files.walk(queue)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw failure("the prefetch queue " + queue, e);
        }
    }

    /** The process .pid names, if it is alive and an archive-prefetch of this data directory (a pid may be reused). */
    private static Optional<ProcessHandle> runningPrefetcher(Path queue, Path dataDirectory) throws IOException {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(queue.resolve(Prefetcher.PID)).strip());
        } catch (NoSuchFileException | NumberFormatException e) {
            return Optional.empty();
        }
        List<String> argv;
        try {
            argv = Arrays.asList(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).split("\0"));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // gone
        }
        int at = argv.indexOf("--data-directory");
        if (!argv.contains("archive-prefetch") || at < 0 || at + 1 >= argv.size() || !sameDirectory(argv.get(at + 1), dataDirectory)) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    }

    private static boolean sameDirectory(String argument, Path dataDirectory) throws IOException {
        try {
            return Path.of(argument).toRealPath().equals(dataDirectory.toRealPath());
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private static void stop(ProcessHandle p, Path queue) {
        LOG.info("stopping the prefetcher (pid {}) of the server that was in this data directory", p.pid());
        p.destroy();
        if (!exited(p)) {
            p.destroyForcibly();
            if (!exited(p)) {
                throw new WalferryException(Failure.FAILED, "the prefetcher (pid " + p.pid() + ") of the server that was in this "
                        + "data directory did not stop", "stop it (kill " + p.pid() + "), then restore again; " + queue
                        + " must not serve the restored server");
            }
        }
    }

    private static boolean exited(ProcessHandle p) {
        try {
            p.onExit().get(STOP_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return !p.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted", null);
        }
    }

    private static WalferryException failure(String what, IOException e) {
        return new WalferryException(Failure.FAILED, "cannot empty " + what + ": " + e.getMessage(), "remove it by hand (it holds WAL of the server that was there before), then restore again", e);
    }
}
