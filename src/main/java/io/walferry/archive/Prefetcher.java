package io.walferry.archive;

import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.fastpath.PrefetchQuestion;
import io.walferry.fastpath.PrefetchQueue;
import io.walferry.fastpath.RuntimeDirectory;
import io.walferry.postgres.BackupLabel;
import io.walferry.postgres.WalFileName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Keeps the next {@code depth} segments of replay fetched, verified, in a {@link PrefetchQueue}, fetching
 * {@code workers} at a time, so that archive-get hands PostgreSQL a local file instead of waiting on a
 * download. One runs per data directory (the queue's lock); it follows replay through the queue's {@code .from}
 * and {@code .taken}, waits for segments not archived yet, answers the launcher's questions
 * ({@link PrefetchQuestion}), and exits when nothing was taken for its idle time or the server is gone. What it
 * decides each turn is in {@link PrefetchCursor}, {@link PrefetchMiss} and {@link PrefetchProgress}.
 */
public final class Prefetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);
    private static final Duration IDLE = Duration.ofSeconds(30);

    private final PrefetchQueue queue;
    private final ArchiveGetter getter;
    private final Path dataDirectory;
    private final int depth;
    private final int workers;
    private final long segmentSize;
    private final Duration idle;
    private final PrefetchQuestion question;

    public Prefetcher(PrefetchQueue queue, ArchiveGetter getter, Path dataDirectory, int depth, int workers, long segmentSize,
                      Duration idle) {
        this.queue = queue;
        this.getter = getter;
        this.dataDirectory = dataDirectory;
        this.depth = depth;
        this.workers = workers;
        this.segmentSize = segmentSize;
        this.idle = idle;
        // The launcher's question is PostgreSQL's: a segment streamed in part is "found" (archive-get hands its prefix
        // over), while the queue holds only whole segments, which replay takes once and moves past.
        ArchiveGetter asked = getter.handingOverPrefixes(segmentSize);
        this.question = new PrefetchQuestion(queue, (name, scratch) -> asked.get(name, scratch) == ArchiveGetter.Outcome.FOUND);
    }

    /**
     * The prefetcher of {@code dataDirectory} with this configuration (archive-prefetch), until it is idle. With
     * {@code fromBackupLabel} the launcher started it for a restored data directory's first call, with nothing
     * prepared: it begins the queue itself, at the backup_label's checkpoint segment, and returns at once when
     * prefetch is off or replay has begun (the launcher's question then goes to a JVM).
     */
    public static void runFor(WalferryConfig config, Path dataDirectory, Map<String, String> env, boolean fromBackupLabel) throws IOException {
        if (fromBackupLabel && config.archive().prefetch() == 0) {
            return; // prefetch is off: the launcher, which cannot know that, asks a JVM instead
        }
        ReplaySource source = ReplaySource.open(config);
        long segmentSize = source.segmentSize();
        RuntimeDirectory.offerWaitFifo(dataDirectory, env);
        Optional<WalFileName.Segment> start = Optional.empty();
        if (fromBackupLabel) {
            start = BackupLabel.read(dataDirectory).map(l -> l.checkpointSegment(segmentSize));
            if (start.isEmpty()) {
                return;
            }
        }
        new Prefetcher(PrefetchQueue.of(dataDirectory), ArchiveGetter.writingThrough(source.repositories()), dataDirectory,
                config.archive().prefetch(), config.archive().workers(), segmentSize, IDLE).run(start);
    }

    /** Runs until idle; returns at once if another prefetcher holds this queue. */
    public void run() throws IOException {
        run(Optional.empty());
    }

    /**
     * As {@link #run()}; with {@code freshStart}, this process begins the queue itself, at that segment (the
     * launcher started it, with nothing prepared). Otherwise whoever started it cleared .taken, .missing and
     * old temporary files and said where to begin (PrefetcherProcess): the first segments may have been fetched
     * and taken since, and that record must stay.
     */
    public void run(Optional<WalFileName.Segment> freshStart) throws IOException {
        queue.prepare();
        try (PrefetchQueue.Lock lock = queue.tryLock()) {
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
            queue.writePid(ProcessHandle.current().pid());
            ExecutorService pool = Executors.newFixedThreadPool(workers, Thread.ofPlatform().name("prefetch-", 0).daemon().factory());
            try {
                loop(pool);
            } finally {
                pool.shutdownNow();
                queue.removePid();
                // What is queued is a cache on pg_wal's volume, up to `prefetch` segments: a promoted or stopped
                // server would keep it for good. A launcher that misses it fetches the segment itself.
                queue.removeQueued();
                question.removeHanded();
            }
        }
    }

    /** A segment being fetched. */
    private record Fetch(WalFileName.Segment segment, Future<ArchiveGetter.Outcome> result) {
    }

    private void loop(ExecutorService pool) throws IOException {
        PrefetchCursor cursor = PrefetchCursor.at(queue.from().orElseThrow(() -> new IOException("no .from in " + queue.dir())), segmentSize);
        PrefetchProgress progress = new PrefetchProgress(queue.queued(), System.nanoTime());
        PrefetchMiss miss = PrefetchMiss.NONE;
        // Fetches in flight, in segment order: new ones start as soon as one ends, so the workers never
        // wait for the slowest of a batch.
        ArrayDeque<Fetch> inFlight = new ArrayDeque<>();
        while (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            Optional<PrefetchCursor> jumped = cursor.jumpedTo(queue.from().orElse(cursor.from()));
            if (jumped.isPresent()) {
                cursor = jumped.get();
                cancel(inFlight);
            }
            Optional<String> taken = queue.lastTaken().filter(cursor::onTimelineOf);
            if (taken.isPresent()) {
                queue.dropUpTo(taken.get());
                cursor = cursor.pastTaken(taken.get());
            }
            List<String> queued = queue.queued();
            progress = progress.saw(queued, System.nanoTime());
            PrefetchCursor.Starts starts = cursor.starts(queued, inFlight.size(), workers, depth);
            for (WalFileName.Segment seg : starts.segments()) {
                inFlight.add(new Fetch(seg, pool.submit(() -> getter.get(seg, queue.pathOf(seg)))));
            }
            cursor = starts.cursor();
            // The launcher may wait for an answer (a standby's first question is asked as this process
            // starts): answered here, once the fetches are under way, not only when the queue is full.
            answerQuietly();
            Fetch oldest = inFlight.pollFirst();
            if (oldest == null) {
                pause(20); // the queue is full: replay has not taken from it yet
            } else {
                Ended ended = outcome(oldest);
                if (ended == Ended.INTERRUPTED) {
                    return;
                }
                if (ended != Ended.DROPPED) {
                    boolean found = ended == Ended.FOUND;
                    PrefetchMiss after = miss.after(oldest.segment().fileName(), found);
                    if (!after.equals(miss)) {
                        if (after.marked()) {
                            queue.markMissing(after.segment());
                        } else {
                            queue.clearMissing();
                        }
                        miss = after;
                    }
                    if (found) {
                        progress = progress.fetched(queue.queued(), System.nanoTime());
                    } else {
                        // Not archived yet (or unreadable): a launcher waiting for it goes to archive-get, which
                        // answers for itself; everything after it waits, and it is asked for again in a moment.
                        cancel(inFlight);
                        cursor = cursor.retryAt(oldest.segment());
                        pause(500);
                    }
                }
            }
            if (progress.idle(System.nanoTime(), question.lastAnsweredNanos(), idle)) {
                LOG.info("prefetch: nothing taken for {} s, stopping", idle.toSeconds());
                return;
            }
        }
    }

    /** How a fetch ended: found, found nothing (not archived yet, or it failed), dropped when replay jumped. */
    private enum Ended { FOUND, NOTHING, DROPPED, INTERRUPTED }

    private static Ended outcome(Fetch fetch) {
        try {
            return fetch.result().get() == ArchiveGetter.Outcome.FOUND ? Ended.FOUND : Ended.NOTHING;
        } catch (ExecutionException e) {
            String why = e.getCause() instanceof WalferryException w ? w.oneLine() : String.valueOf(e.getCause());
            LOG.warn("prefetch of {} failed (archive-get will report it when replay asks): {}", fetch.segment().fileName(), why);
            return Ended.NOTHING;
        } catch (CancellationException e) {
            return Ended.DROPPED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Ended.INTERRUPTED;
        }
    }

    private static void cancel(ArrayDeque<Fetch> inFlight) {
        inFlight.forEach(f -> f.result().cancel(false));
        inFlight.clear();
    }

    /** Sleeps, answering the launcher's questions meanwhile (it waits for an answer, not for this). */
    private void pause(long ms) {
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
