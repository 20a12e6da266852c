package io.walferry.agent;

import io.walferry.archive.ArchivePusher;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.fastpath.RuntimeDirectory;
import io.walferry.monitor.ArchiveMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.ToIntFunction;

/**
 * The agent's pushes: every ready WAL file that is due ({@link PushSchedule}) goes to a worker, which pushes it
 * and acks it in the {@link RuntimeDirectory}, or records the failure there for archive_command and schedules a
 * retry with backoff. It never drops WAL: a failing push is retried for as long as it fails.
 */
final class PushScheduler {
    /** The agent's log lines about pushes keep its name: operators and bench/archive.sh look for "ArchiveAgent: archived". */
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);

    private final ArchiveStatus status;
    private final RuntimeDirectory runtime;
    private final LazyPusher pusher;
    private final Path spool;
    private final ExecutorService workers;
    private final ToIntFunction<Failure> exitCodes;
    private final BooleanSupplier running;
    private final ArchiveMetrics metrics;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, PushSchedule.Retry> retries = new ConcurrentHashMap<>();

    PushScheduler(ArchiveStatus status, RuntimeDirectory runtime, LazyPusher pusher, Path spool, ExecutorService workers,
                  ToIntFunction<Failure> exitCodes, BooleanSupplier running, ArchiveMetrics metrics) {
        this.status = status;
        this.runtime = runtime;
        this.pusher = pusher;
        this.spool = spool;
        this.workers = workers;
        this.exitCodes = exitCodes;
        this.running = running;
        this.metrics = metrics;
    }

    /** Hands every file that is due to a worker. */
    void scheduleReady() {
        try {
            for (String name : PushSchedule.due(status.ready(), inFlight, runtime::acked, retries, System.nanoTime())) {
                if (!running.getAsBoolean()) {
                    return;
                }
                inFlight.add(name);
                try {
                    workers.execute(() -> push(name));
                } catch (RejectedExecutionException stopping) {
                    inFlight.remove(name);
                    return;
                }
            }
        } catch (IOException e) {
            LOG.error("cannot list {}: {}", status.statusDirectory(), e.getMessage());
        }
    }

    /** Whether a push of {@code name} is under way (its ack must not be forgotten meanwhile). */
    boolean pushing(String name) {
        return inFlight.contains(name);
    }

    /** PostgreSQL is done with {@code name}: no retry is pending any more. */
    void forget(String name) {
        retries.remove(name);
    }

    private void push(String name) {
        Path file = status.pgWal().resolve(name);
        long t0 = System.nanoTime();
        try {
            if (!running.getAsBoolean()) {
                return;
            }
            FileIdentity before = FileIdentity.of(file);
            ArchivePusher.Result result = pusher.get().push(file);
            if (!before.equals(FileIdentity.of(file))) {
                failed(name, Failure.FAILED, name + " changed while it was being archived; archiving it again");
                return;
            }
            runtime.ack(name, file);
            retries.remove(name);
            metrics.pushed(before.size(), System.nanoTime() - t0);
            for (ArchivePusher.Missed missed : ArchivePusher.noteMissed(result, () -> spool)) {
                LOG.warn("{} not stored in optional repository {} ({}): {}", name, missed.repository(),
                        missed.notNoted().map(why -> "and it could not be noted for catching up: " + why).orElse("will catch up"),
                        missed.failure().oneLine());
            }
            StringBuilder detail = new StringBuilder();
            result.stored().forEach((repo, put) -> detail.append("; ").append(repo).append(": ").append(put.summary()));
            LOG.info("archived {} in {} ms{}", name, (System.nanoTime() - t0) / 1_000_000, detail);
        } catch (WalferryException e) {
            failed(name, e.kind(), e.oneLine());
        } catch (IOException e) {
            failed(name, Failure.FAILED, "cannot read " + file + " or write the agent's ack for it: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("unexpected failure pushing {}", name, e);
            failed(name, Failure.FAILED, "unexpected failure pushing " + name + ": " + e);
        } finally {
            inFlight.remove(name);
        }
    }

    private void failed(String name, Failure kind, String message) {
        metrics.failed();
        PushSchedule.Retry retry = PushSchedule.Retry.after(retries.get(name), System.nanoTime(), PushSchedule.RETRY,
                ThreadLocalRandom.current().nextDouble());
        retries.put(name, retry);
        LOG.error("push of {} failed (attempt {}, next in {} ms): {}", name, retry.attempts() + 1, retry.delay().toMillis(), message);
        try {
            runtime.fail(name, exitCodes.applyAsInt(kind), message);
        } catch (IOException e) {
            LOG.error("cannot record the failure of {} for archive_command: {}", name, e.getMessage());
        }
    }
}
