package io.walferry.agent;

import io.walferry.archive.ArchiveGetter;
import io.walferry.archive.CatchUpMarkers;
import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.config.RepositoryConfig;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The per-node agent's archiving side: it watches {@code archive_status} and pushes every ready WAL file
 * ahead of PostgreSQL, with a pool of workers, then acks it through the {@link FastPathDirectory} so that
 * archive_command only has to confirm. It never drops WAL: a failing push is retried with backoff for as
 * long as it fails, and the failure is reported to PostgreSQL's log through archive_command.
 */
public final class ArchiveAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);
    private static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
    private static final long RESCAN_MILLIS = 1000;

    private final WalferryConfig config;
    private final NodeConfig node;
    private final ArchiveStatus status;
    private final FastPathDirectory fastPath;
    private final ExecutorService workers;
    private final EncodeGate encodeGate;
    private final ScheduledExecutorService housekeeping;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Retry> retries = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final FileChannel lockChannel;
    private final FileLock lock;
    private volatile ArchivePusher pusher;
    private long lastCleanup;
    private final CatchUpMarkers behind;
    private final ToIntFunction<Failure> exitCodes;

    private record Retry(int attempts, long notBeforeNanos) {
    }

    /**
     * @param exitCodes the exit code archive_command gives PostgreSQL for a failure of each kind (the launcher reads
     *                  it from the agent's failure marker)
     */
    public ArchiveAgent(WalferryConfig config, NodeConfig node, Map<String, String> env, ToIntFunction<Failure> exitCodes) {
        this.config = config;
        this.exitCodes = exitCodes;
        this.node = node;
        this.status = new ArchiveStatus(node.dataDirectory().resolve("pg_wal"));
        if (!Files.isDirectory(status.statusDirectory())) {
            throw WalferryException.config("node " + node.name() + ": " + status.statusDirectory() + " does not exist",
                    "data_directory of node " + node.name() + " must be the PostgreSQL data directory");
        }
        Path spool = config.spoolFor(node);
        this.behind = CatchUpMarkers.in(spool);
        try {
            // Owner-only whatever the umask: the spool holds copies of WAL while it catches repositories up.
            PrivateFiles.createDirectories(spool);
            lockChannel = PrivateFiles.open(spool.resolve("agent.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (IOException e) {
            throw WalferryException.config("cannot use spool directory " + spool + ": " + e.getMessage(),
                    "set archive.spool_directory to a directory the agent's OS user may write");
        }
        if (lock == null) {
            throw WalferryException.config("another walferry agent is already running for node " + node.name()
                    + " (it holds " + spool.resolve("agent.lock") + ")", "stop it first; one agent runs per node");
        }
        try {
            fastPath = FastPathDirectory.forDataDirectory(node.dataDirectory(), env);
            fastPath.prepare(ProcessHandle.current().pid(), config.archive().timeout().toSeconds());
        } catch (IOException e) {
            throw WalferryException.config("cannot prepare the agent's runtime directory: " + e.getMessage(),
                    "run the agent as the PostgreSQL server's OS user");
        }
        // Twice as many pushes in flight as compress at once: the others wait on fsync and read-back.
        workers = Executors.newFixedThreadPool(2 * config.archive().workers(), Thread.ofPlatform().name("push-", 1).factory());
        encodeGate = EncodeGate.limit(config.archive().workers());
        housekeeping = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("housekeeping").daemon().factory());
    }

    public FastPathDirectory fastPath() {
        return fastPath;
    }

    /** Runs until {@link #close()}; returns only then. */
    public void run() {
        LOG.info("agent for node {} of cluster {}: watching {} with {} workers, {} compression; acks for archive_command in {}",
                node.name(), config.cluster(), status.statusDirectory(), config.archive().workers(), config.archive().compression(),
                fastPath.path());
        openRepositories();
        housekeeping.scheduleWithFixedDelay(this::housekeep, 0, 10, TimeUnit.SECONDS);
        try (WatchService watch = status.statusDirectory().getFileSystem().newWatchService()) {
            status.statusDirectory().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            while (running.get()) {
                scheduleReady();
                var key = watch.poll(RESCAN_MILLIS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw WalferryException.config("cannot watch " + status.statusDirectory() + ": " + e.getMessage(),
                    "run the agent as the PostgreSQL server's OS user");
        }
    }

    private void scheduleReady() {
        try {
            long now = System.nanoTime();
            for (String name : status.ready()) {
                // The ack is the record of a finished push: if it went missing (runtime directory recreated), push again.
                if (inFlight.contains(name) || fastPath.acked(name)) {
                    continue;
                }
                Retry r = retries.get(name);
                if (r != null && r.notBeforeNanos() - now > 0) {
                    continue;
                }
                if (!running.get()) {
                    return;
                }
                inFlight.add(name);
                try {
                    workers.execute(() -> push(name));
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    inFlight.remove(name);
                    return;
                }
            }
        } catch (IOException e) {
            LOG.error("cannot list {}: {}", status.statusDirectory(), e.getMessage());
        }
    }

    private void push(String name) {
        Path file = status.pgWal().resolve(name);
        long t0 = System.nanoTime();
        try {
            if (!running.get()) {
                return;
            }
            FileIdentity before = FileIdentity.of(file);
            ArchivePusher.Result result = pusher().push(file);
            if (!before.equals(FileIdentity.of(file))) {
                failed(name, Failure.FAILED, name + " changed while it was being archived; archiving it again");
                return;
            }
            fastPath.ack(name, file);
            retries.remove(name);
            for (var missed : result.failedOptional().entrySet()) {
                LOG.warn("{} not stored in optional repository {} (will catch up): {}", name, missed.getKey(), missed.getValue().oneLine());
                behind.mark(missed.getKey(), name);
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
        int code = exitCodes.applyAsInt(kind);
        Retry previous = retries.get(name);
        int attempts = previous == null ? 0 : previous.attempts() + 1;
        Duration delay = RETRY.delay(attempts);
        retries.put(name, new Retry(attempts, System.nanoTime() + delay.toNanos()));
        LOG.error("push of {} failed (attempt {}, next in {} ms): {}", name, attempts + 1, delay.toMillis(), message);
        try {
            fastPath.fail(name, code, message);
        } catch (IOException e) {
            LOG.error("cannot record the failure of {} for archive_command: {}", name, e.getMessage());
        }
    }

    /**
     * Fails fast on what only the user can fix (an unregistered repository, a missing path); a repository
     * that is merely unreachable now is retried by the pushes.
     */
    private void openRepositories() {
        try {
            pusher();
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG || e.kind() == Failure.NOT_REGISTERED) {
                throw e;
            }
            LOG.error("repositories not available yet, pushes will retry: {}", e.oneLine());
        }
    }

    /** Opens the repositories on first use and again after a failure, so that a repository down at start is waited for. */
    private ArchivePusher pusher() {
        ArchivePusher p = pusher;
        if (p == null) {
            synchronized (this) {
                if (pusher == null) {
                    pusher = new ArchivePusher(ArchiveSet.open(config), config.archive().compression(), encodeGate);
                }
                p = pusher;
            }
        }
        return p;
    }

    /**
     * Copies into each lagging optional repository what it missed, from a repository that holds a verified
     * copy; that works whether or not PostgreSQL still has the file. A repository still down stays marked.
     */
    private void catchUp() throws IOException {
        ArchivePusher p = pusher;
        if (p == null) {
            return;
        }
        String stillDown = null;
        for (CatchUpMarkers.Marker m : behind.list()) {
            if (!running.get()) {
                return;
            }
            if (m.repository().equals(stillDown)) {
                continue; // try again at the next housekeeping
            }
            var target = p.archives().target(m.repository());
            if (target.isEmpty() || catchUp(p, target.get(), m.fileName())) {
                behind.clear(m); // done, or the repository is no longer configured
            } else {
                stillDown = m.repository();
            }
        }
    }

    private boolean catchUp(ArchivePusher p, io.walferry.archive.ArchiveTarget target, String name) throws IOException {
        WalFileName wal = WalFileName.parse(name);
        List<Repository> sources = p.archives().repositories().stream().filter(r -> r != target.repository()).toList();
        Path copy = config.spoolFor(node).resolve(".catchup-" + name);
        try {
            if (new ArchiveGetter(sources).get(wal, copy) != ArchiveGetter.Outcome.FOUND) {
                LOG.error("no repository holds {} to catch up repository {}", name, target.repository().name());
                return true; // nothing to copy from: keeping the marker would retry forever
            }
            target.repository().putWal(wal, copy, config.archive().compression(), encodeGate);
            LOG.info("caught up repository {} with {}", target.repository().name(), name);
            return true;
        } catch (WalferryException e) {
            LOG.warn("repository {} still behind ({}): {}", target.repository().name(), name, e.oneLine());
            return false;
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /**
     * Periodic care that must never stop the agent: forget what PostgreSQL has finished with, and (at start,
     * then hourly) remove temporary objects that killed writers of this host left in the repositories.
     */
    private void housekeep() {
        try {
            if (System.nanoTime() - lastCleanup > TimeUnit.HOURS.toNanos(1) || lastCleanup == 0) {
                lastCleanup = System.nanoTime() | 1;
                for (RepositoryConfig rc : config.repositories()) {
                    int removed = Repository.open(rc, config.cluster(), false).removeAbandoned();
                    if (removed > 0) {
                        LOG.info("removed {} temporary objects a stopped writer left in repository {}", removed, rc.name());
                    }
                }
            }
        } catch (Throwable t) {
            LOG.warn("cleaning up temporary objects failed (will run again): {}", t.toString());
        }
        try {
            if (!fastPath.intact()) {
                LOG.warn("runtime directory {} was removed; recreating it", fastPath.path());
                fastPath.prepare(ProcessHandle.current().pid(), config.archive().timeout().toSeconds());
            }
            for (String name : fastPath.ackedOrFailedNames()) {
                if (!status.isReady(name) && !inFlight.contains(name)) {
                    fastPath.forget(name);
                    retries.remove(name);
                }
            }
            catchUp();
        } catch (Throwable t) {
            LOG.error("housekeeping failed (will run again): {}", t.toString());
        }
    }

    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        LOG.info("agent stopping: finishing pushes under way");
        housekeeping.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(60, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            fastPath.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("cleanup at stop: {}", e.getMessage());
        }
        LOG.info("agent stopped");
    }
}
