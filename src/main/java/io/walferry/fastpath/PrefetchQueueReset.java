package io.walferry.fastpath;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

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
        PrefetchQueue queue = PrefetchQueue.of(dataDirectory);
        if (!Files.isDirectory(queue.dir())) {
            return;
        }
        try {
            PrefetcherProcess.running(queue, dataDirectory).ifPresent(p -> stop(p, queue.dir()));
            try (Stream<Path> s = Files.walk(queue.dir())) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot empty the prefetch queue " + queue.dir() + ": " + e.getMessage(),
                    "remove it by hand (it holds WAL of the server that was there before), then restore again", e);
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
}
