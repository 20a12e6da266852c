package io.walferry.logical;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.TableCopy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data half of the initial copy: {@code jobs} sessions, each a pair of a source session in the exported snapshot and
 * a target session, take the plan's items largest first. The first failure stops every session; what was copied
 * stays, and the next create starts over.
 */
final class ParallelCopy {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelCopy.class);

    private final StreamServers servers;
    private final int jobs;

    ParallelCopy(StreamServers servers, int jobs) {
        this.servers = servers;
        this.jobs = jobs;
    }

    long run(String snapshot, List<CopyPlan.Work> plan, StreamCreate.Progress progress) {
        ConcurrentLinkedQueue<CopyPlan.Work> queue = new ConcurrentLinkedQueue<>(plan);
        long total = plan.stream().mapToLong(CopyPlan.Work::bytes).sum();
        AtomicLong done = new AtomicLong();
        AtomicBoolean failed = new AtomicBoolean();
        progress.copied(0, total);
        int sessions = Math.max(1, Math.min(jobs, plan.size()));
        ExecutorService pool = Executors.newFixedThreadPool(sessions, r -> {
            Thread t = new Thread(r, "walferry-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                futures.add(pool.submit(() -> session(snapshot, queue, failed, n -> progress.copied(done.addAndGet(n), Math.max(total, done.get())))));
            }
            long bytes = 0;
            WalferryException first = null;
            for (Future<Long> f : futures) {
                try {
                    bytes += f.get();
                } catch (ExecutionException e) {
                    failed.set(true);
                    if (first == null) {
                        first = e.getCause() instanceof WalferryException w ? w
                                : new WalferryException(Failure.POSTGRES, "the copy failed: " + StreamCreate.firstLine(e.getCause().getMessage()),
                                "fix the cause and run logical create again (it starts the copy over)", e.getCause());
                    }
                }
            }
            if (first != null) {
                throw first;
            }
            return bytes;
        } catch (InterruptedException e) {
            failed.set(true);
            throw WalferryException.interrupted("copying");
        } finally {
            pool.shutdownNow();
        }
    }

    private long session(String snapshot, ConcurrentLinkedQueue<CopyPlan.Work> queue, AtomicBoolean failed,
                         java.util.function.LongConsumer progress) throws SQLException {
        long bytes = 0;
        try (Connection source = servers.source(); Connection target = servers.target()) {
            TableCopy.useSnapshot(source, snapshot);
            TableCopy.prepareTarget(target);
            CopyPlan.Work w;
            while (!failed.get() && (w = queue.poll()) != null) {
                long n = TableCopy.copy(source, target, w.item(), progress);
                bytes += n;
                LOG.debug("copied {}{} ({} bytes)", w.item().table(), w.item().fromPage().isPresent() || w.item().toPage().isPresent()
                        ? " pages " + w.item().fromPage().orElse(0L) + ".." + w.item().toPage().map(String::valueOf).orElse("end") : "", n);
            }
            TableCopy.endSnapshot(source);
        } catch (SQLException | RuntimeException e) {
            failed.set(true);
            throw e;
        }
        return bytes;
    }
}
