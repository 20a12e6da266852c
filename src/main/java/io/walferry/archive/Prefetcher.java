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
import java.util.ArrayList;
import java.util.List;
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

    public Prefetcher(PrefetchQueue queue, ArchiveGetter getter, Path dataDirectory, int depth, int workers, long segmentSize,
                      long idleSeconds) {
        this.queue = queue;
        this.getter = getter;
        this.dataDirectory = dataDirectory;
        this.depth = depth;
        this.workers = workers;
        this.segmentSize = segmentSize;
        this.idleSeconds = idleSeconds;
    }

    /** Runs until idle; returns at once if another prefetcher holds this queue. */
    public void run() throws IOException {
        queue.prepare();
        try (FileChannel lockFile = FileChannel.open(queue.dir().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                return;
            }
            // the launcher appends each segment it hands over; a new prefetcher starts the record afresh
            Files.deleteIfExists(queue.dir().resolve(".taken"));
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "prefetch");
                t.setDaemon(true);
                return t;
            });
            try {
                loop(pool);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private void loop(ExecutorService pool) throws IOException {
        String from = queue.from().orElseThrow(() -> new IOException("no .from in " + queue.dir()));
        WalFileName.Segment next = (WalFileName.Segment) WalFileName.parse(from);
        long lastProgress = System.nanoTime();
        List<String> before = queue.queued();
        while (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            String asked = queue.from().orElse(from);
            if (!asked.equals(from)) {
                // replay jumped (a miss, another timeline): go on from where it is
                from = asked;
                next = (WalFileName.Segment) WalFileName.parse(from);
            }
            List<String> queued = queue.queued();
            if (!queued.equals(before)) {
                lastProgress = System.nanoTime();
            }
            int room = depth - queued.size();
            boolean waiting = false;
            if (room > 0) {
                // next is the first segment not fetched yet; those after it that are queued are skipped
                List<WalFileName.Segment> batch = new ArrayList<>();
                WalFileName.Segment s = next;
                for (int scanned = 0; batch.size() < Math.min(room, workers) && scanned < depth + workers; scanned++) {
                    if (!queued.contains(s.fileName())) {
                        batch.add(s);
                    }
                    s = s.next(segmentSize);
                }
                List<Future<ArchiveGetter.Outcome>> results = new ArrayList<>();
                for (WalFileName.Segment seg : batch) {
                    results.add(pool.submit(() -> getter.get(seg, queue.dir().resolve(seg.fileName()))));
                }
                boolean contiguous = true;
                for (int i = 0; i < results.size(); i++) {
                    boolean found = false;
                    try {
                        found = results.get(i).get() == ArchiveGetter.Outcome.FOUND;
                    } catch (java.util.concurrent.ExecutionException e) {
                        String why = e.getCause() instanceof WalferryException w ? w.oneLine() : String.valueOf(e.getCause());
                        LOG.warn("prefetch of {} failed (archive-get will report it when replay asks): {}", batch.get(i).fileName(), why);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    if (found && contiguous) {
                        next = batch.get(i).next(segmentSize);
                        lastProgress = System.nanoTime();
                    } else if (!found) {
                        contiguous = false;
                        waiting = true; // not archived yet: ask again in a moment
                    }
                }
            }
            if (System.nanoTime() - lastProgress > idleSeconds * 1_000_000_000L) {
                LOG.info("prefetch: nothing taken for {} s, stopping", idleSeconds);
                return;
            }
            before = queue.queued();
            sleep(waiting ? 500 : room <= 0 ? 20 : 0);
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
