package io.walferry.fastpath;

import io.walferry.postgres.BackupLabel;
import io.walferry.postgres.WalFileName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * archive-get's JVM side of the prefetch queue, for restore_command running in a data directory: hands over the
 * segment asked for if it is queued; either way tells the prefetcher where replay is ({@value PrefetchQueue#FROM}),
 * and starts a prefetcher if none runs. Prefetch only saves time: whatever fails here, archive-get fetches the file
 * itself.
 */
public final class PrefetchHandOver {
    private static final Logger LOG = LoggerFactory.getLogger(PrefetchHandOver.class);

    private final Path dataDirectory;
    private final Map<String, String> env;
    private final PrefetcherProcess prefetcher;
    private final LongSupplier segmentSize;

    private PrefetchHandOver(Path dataDirectory, Map<String, String> env, PrefetcherProcess prefetcher, LongSupplier segmentSize) {
        this.dataDirectory = dataDirectory;
        this.env = env;
        this.prefetcher = prefetcher;
        this.segmentSize = segmentSize;
    }

    /**
     * For restore_command running in {@code workingDirectory}: empty unless that is a data directory (PostgreSQL
     * runs restore_command there; by hand it may run anywhere).
     *
     * @param segmentSize the cluster's WAL segment size, asked only when needed (it may cost a repository read)
     */
    public static Optional<PrefetchHandOver> in(Path workingDirectory, Map<String, String> env, PrefetcherProcess prefetcher,
                                                LongSupplier segmentSize) {
        Path dataDirectory = workingDirectory.toAbsolutePath();
        if (!Files.exists(dataDirectory.resolve("PG_VERSION"))) {
            return Optional.empty();
        }
        return Optional.of(new PrefetchHandOver(dataDirectory, env, prefetcher, segmentSize));
    }

    /** True when {@code name} was queued and is now at {@code target}; false when archive-get must fetch it. */
    public boolean take(WalFileName name, Path target) {
        try {
            RuntimeDirectory.offerWaitFifo(dataDirectory, env);
            PrefetchQueue queue = PrefetchQueue.of(dataDirectory);
            queue.prepare();
            if (name instanceof WalFileName.Segment seg) {
                boolean taken = queue.take(seg, target);
                // replay is at seg now: what is queued before it is stale, and the prefetcher goes on after it
                queue.restartAfter(seg, segmentSize.getAsLong());
                prefetcher.startUnlessRunning(queue, dataDirectory, () -> { });
                return taken;
            }
            if (name instanceof WalFileName.History) {
                startAhead(queue);
            }
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.debug("prefetch not used: {}", e.toString());
            return false;
        }
    }

    /**
     * A restored data directory asks for the next timeline's history file before any segment: its
     * backup_label says which segment comes next, so the prefetcher starts on it now, while this JVM answers
     * for the history file, and the first segment is not a JVM start of its own. Only when no prefetcher runs:
     * a running one knows better where replay is.
     */
    private void startAhead(PrefetchQueue queue) throws IOException {
        Optional<BackupLabel> label = BackupLabel.read(dataDirectory);
        if (label.isPresent()) {
            prefetcher.startUnlessRunning(queue, dataDirectory, () -> queue.startAt(label.get().checkpointSegment(segmentSize.getAsLong())));
        }
    }
}
