package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The parallel part of a backup and of a restore: one job per chunk on a pool of threads, progress as jobs finish,
 * and the first job that fails ends the run. The jobs not started then never start, the running ones are interrupted
 * and waited for (so that the caller's clean-up does not race them), and the failure reaches the caller as one typed
 * line: a job's own {@link WalferryException} as it is, an I/O error as the caller says, anything else as
 * {@link Failure#FAILED}.
 */
final class ChunkPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkPipeline.class);
    /** How long a failed run waits for its interrupted jobs to end before it reports the failure anyway. */
    private static final long STOP_WAIT_SECONDS = 60;

    /** One chunk's work: what it made, or an exception. */
    interface Job<T> {
        T run() throws IOException;
    }

    private final String what;
    private final int threads;
    private final BaseBackup.Progress progress;
    private final long total;
    private final Function<IOException, WalferryException> ioFailure;
    private long done;

    /**
     * @param what      "backup" or "restore": names the threads and the failures
     * @param total     the bytes all runs together report as done when complete
     * @param ioFailure what an I/O error a job did not handle itself means to the user
     */
    ChunkPipeline(String what, int threads, BaseBackup.Progress progress, long total, Function<IOException, WalferryException> ioFailure) {
        this.what = what;
        this.threads = threads;
        this.progress = progress;
        this.total = total;
        this.ioFailure = ioFailure;
    }

    /**
     * Runs every job, in the order given as far as threads allow; returns their results in that order. Each finished
     * job adds {@code bytes} of its result to the progress, which counts on across runs of this pipeline.
     */
    <T> List<T> run(List<Job<T>> jobs, ToLongFunction<T> bytes) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name(what + "-", 0).daemon().factory());
        CompletionService<T> completion = new ExecutorCompletionService<>(pool);
        List<Future<T>> futures = new ArrayList<>(jobs.size());
        try {
            for (Job<T> job : jobs) {
                futures.add(completion.submit(job::run));
            }
            for (int i = 0; i < futures.size(); i++) {
                T result = completion.take().get();
                done += bytes.applyAsLong(result);
                progress.copied(done, total);
            }
            return futures.stream().map(Future::resultNow).toList();
        } catch (ExecutionException e) {
            stop(pool);
            throw failure(e.getCause());
        } catch (InterruptedException e) {
            stop(pool);
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, what + " interrupted", null);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Nothing more starts; what runs is interrupted and waited for. */
    private void stop(ExecutorService pool) {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("{}: some jobs did not stop within {} s of the failure", what, STOP_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private WalferryException failure(Throwable cause) {
        if (cause instanceof WalferryException we) {
            return we;
        }
        if (cause instanceof UncheckedIOException u) {
            return ioFailure.apply(u.getCause());
        }
        if (cause instanceof IOException io) {
            return ioFailure.apply(io);
        }
        return new WalferryException(Failure.FAILED, what + " failed: " + cause, "run with --debug for details", cause);
    }
}
