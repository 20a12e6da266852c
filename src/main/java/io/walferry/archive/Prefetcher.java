package io.walferry.archive;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Keeps the next {@code depth} segments of replay fetched, verified, in a {@link PrefetchQueue}, fetching
 * {@code workers} at a time, so that archive-get hands PostgreSQL a local file instead of waiting on a
 * download. One runs per data directory (a lock file); it follows replay through the queue's {@code .from},
 * waits for segments not archived yet, and exits when nothing was taken for {@code idleSeconds} or the
 * server is gone.
 */
public final class Prefetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);

    private final PrefetchQueue queue;
    private final ArchiveGetter getter;
    private final Path dataDirectory;
    private final int depth;
    private final int workers;
    private final long segmentSize;
    private final long idleSeconds;
    /** The running prefetcher's process id, for the launcher. */
    public static final String PID = ".pid";
    /** The segment this prefetcher last found missing or unreadable, for the launcher. */
    static final String MISSING = ".missing";
    /** The segment written to .missing now, or null: it is rewritten only when it changes. */
    private String missingMarked;
    private final PrefetchQuestion question;

    public Prefetcher(PrefetchQueue queue, ArchiveGetter getter, Path dataDirectory, int depth, int workers, long segmentSize,
                      long idleSeconds) {
        this.queue = queue;
        this.getter = getter;
        this.dataDirectory = dataDirectory;
        this.depth = depth;
        this.workers = workers;
        this.segmentSize = segmentSize;
        this.idleSeconds = idleSeconds;
        this.question = new PrefetchQuestion(queue.dir(), getter);
    }

    /** Runs until idle; returns at once if another prefetcher holds this queue. */
    public void run() throws IOException {
        run(Optional.empty());
    }

    /**
     * As {@link #run()}; with {@code freshStart}, this process begins the queue itself, at that segment (the
     * launcher started it, with nothing prepared). Otherwise whoever started it cleared .taken, .missing and
     * old temporary files and said where to begin (PrefetchQueue.startAfresh): the first segments may have
     * been fetched and taken since, and that record must stay.
     */
    public void run(Optional<WalFileName.Segment> freshStart) throws IOException {
        queue.prepare();
        try (FileChannel lockFile = FileChannel.open(queue.dir().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                return;
            }
            if (freshStart.isPresent()) {
                queue.startAfresh();
                queue.startAt(freshStart.get());
                LOG.info("prefetch: started for the first call of a restored data directory, at {}", freshStart.get().fileName());
            }
            question.reset();
            // The launcher waits for a segment this process is fetching instead of starting a JVM of its own.
            AtomicFile.write(queue.dir().resolve(PID), ProcessHandle.current().pid() + "\n");
            ExecutorService pool = Executors.newFixedThreadPool(workers, Thread.ofPlatform().name("prefetch-", 0).daemon().factory());
            try {
                loop(pool);
            } finally {
                pool.shutdownNow();
                Files.deleteIfExists(queue.dir().resolve(PID));
                // What is queued is a cache on pg_wal's volume, up to `prefetch` segments: a promoted or stopped
                // server would keep it for good. A launcher that misses it fetches the segment itself.
                queue.removeQueued();
            }
        }
    }

    private void loop(ExecutorService pool) throws IOException {
        String from = queue.from().orElseThrow(() -> new IOException("no .from in " + queue.dir()));
        WalFileName.Segment next = (WalFileName.Segment) WalFileName.parse(from);
        long lastProgress = System.nanoTime();
        // Fetches in flight, in segment order: new ones start as soon as one ends, so the workers never
        // wait for the slowest of a batch.
        java.util.ArrayDeque<Fetch> inFlight = new java.util.ArrayDeque<>();
        List<String> before = queue.queued();
        while (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            String asked = queue.from().orElse(from);
            if (!asked.equals(from)) {
                // replay jumped (a miss, another timeline): go on from where it is
                from = asked;
                next = (WalFileName.Segment) WalFileName.parse(from);
                inFlight.forEach(f -> f.result().cancel(false));
                inFlight.clear();
            }
            // Where the launcher says replay is: a fetch restarted after a miss, or one abandoned when replay
            // jumped, must not refill the queue with segments replay has read already.
            Optional<String> taken = queue.lastTaken();
            if (taken.isPresent() && taken.get().startsWith(next.fileName().substring(0, 8))) {
                queue.dropUpTo(taken.get());
                if (next.fileName().compareTo(taken.get()) <= 0) {
                    next = ((WalFileName.Segment) WalFileName.parse(taken.get())).next(segmentSize);
                }
            }
            List<String> queued = queue.queued();
            if (!queued.equals(before)) {
                lastProgress = System.nanoTime();
                before = queued;
            }
            // start fetches while there is room: queued + in flight stay within the depth
            while (inFlight.size() < workers && queued.size() + inFlight.size() < depth) {
                while (queued.contains(next.fileName())) {
                    next = next.next(segmentSize);
                }
                WalFileName.Segment seg = next;
                inFlight.add(new Fetch(seg, pool.submit(() -> getter.get(seg, queue.dir().resolve(seg.fileName())))));
                next = next.next(segmentSize);
            }
            // The launcher may wait for an answer (a standby's first question is asked as this process
            // starts): answered here, once the fetches are under way, not only when the queue is full.
            answerQuietly();
            Fetch oldest = inFlight.peekFirst();
            if (oldest == null) {
                pause(20); // the queue is full: replay has not taken from it yet
                continue;
            }
            boolean found = false;
            try {
                found = oldest.result().get() == ArchiveGetter.Outcome.FOUND;
            } catch (java.util.concurrent.ExecutionException e) {
                String why = e.getCause() instanceof WalferryException w ? w.oneLine() : String.valueOf(e.getCause());
                LOG.warn("prefetch of {} failed (archive-get will report it when replay asks): {}", oldest.segment().fileName(), why);
            } catch (java.util.concurrent.CancellationException e) {
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            inFlight.removeFirst();
            if (found) {
                lastProgress = System.nanoTime();
                before = queue.queued();
                if (missingMarked != null) {
                    Files.deleteIfExists(queue.dir().resolve(MISSING));
                    missingMarked = null;
                }
            } else {
                // Not archived yet (or unreadable): a launcher waiting for it goes to archive-get, which answers
                // for itself; everything after it waits, and it is asked for again in a moment.
                if (!oldest.segment().fileName().equals(missingMarked)) {
                    AtomicFile.write(queue.dir().resolve(MISSING), oldest.segment().fileName() + "\n");
                    missingMarked = oldest.segment().fileName();
                }
                inFlight.forEach(f -> f.result().cancel(false));
                inFlight.clear();
                next = oldest.segment();
                pause(500);
            }
            // A standby that has caught up keeps asking (PrefetchQuestion): that is not idle. A streaming
            // replica stops asking the archive, and its prefetcher goes.
            long lastActivity = question.answeredAny() && question.lastAnsweredNanos() - lastProgress > 0
                    ? question.lastAnsweredNanos() : lastProgress;
            if (System.nanoTime() - lastActivity > idleSeconds * 1_000_000_000L) {
                LOG.info("prefetch: nothing taken for {} s, stopping", idleSeconds);
                return;
            }
        }
    }

    /** A segment being fetched. */
    private record Fetch(WalFileName.Segment segment, Future<ArchiveGetter.Outcome> result) {
    }

    /** Sleeps, answering the launcher's questions meanwhile (it waits for an answer, not for this). */
    private void pause(long ms) throws IOException {
        long end = System.nanoTime() + ms * 1_000_000L;
        do {
            answerQuietly();
            sleep(Math.min(20, (end - System.nanoTime()) / 1_000_000L));
        } while (System.nanoTime() < end && !Thread.currentThread().isInterrupted());
    }

    private void answerQuietly() {
        try {
            question.answerIfAsked();
        } catch (IOException | RuntimeException e) {
            // unanswered, the launcher waits its 5 s and asks a JVM: prefetching goes on
            LOG.debug("prefetch: cannot answer the launcher: {}", e.toString());
        }
    }

    private static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
