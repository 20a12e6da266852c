package io.walferry.agent;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.fastpath.CatchUpMarkers;
import io.walferry.fastpath.RuntimeDirectory;
import io.walferry.monitor.ArchiveBacklog;
import io.walferry.monitor.ArchiveMetrics;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.storage.PrivateFiles;
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
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

/**
 * The per-node agent's archiving side: it watches {@code archive_status} and has every ready WAL file pushed
 * ahead of PostgreSQL ({@link PushScheduler}), so that archive_command only has to confirm the ack in the
 * {@link RuntimeDirectory}; a {@link Housekeeper} runs every 10 seconds, and with it the {@link CatchUpService}; the
 * {@link AuxService} keeps the aux directories current every aux_interval.
 * One agent runs per node: it holds the spool's {@code agent.lock}.
 */
public final class ArchiveAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);
    private static final long RESCAN_MILLIS = 1000;
    private static final long HOUSEKEEPING_SECONDS = 10;

    private final WalferryConfig config;
    private final NodeConfig node;
    private final ArchiveStatus status;
    private final RuntimeDirectory runtime;
    private final ExecutorService workers;
    private final ScheduledExecutorService housekeeping;
    private final ScheduledExecutorService auxDirectories;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final LazyPusher pusher;
    private final PushScheduler pushes;
    private final Housekeeper housekeeper;
    private final Thread streamer;
    private final java.util.Optional<Thread> synchronousArchive;
    private final AuxService aux;

    /**
     * @param exitCodes the exit code archive_command gives PostgreSQL for a failure of each kind (the launcher reads
     *                  it from the agent's failure marker)
     */
    public ArchiveAgent(WalferryConfig config, NodeConfig node, Map<String, String> env, ToIntFunction<Failure> exitCodes) {
        this(config, node, env, exitCodes, ArchiveMetrics.unregistered());
    }

    /** As above, counting its pushes in {@code metrics}. */
    public ArchiveAgent(WalferryConfig config, NodeConfig node, Map<String, String> env, ToIntFunction<Failure> exitCodes,
                        ArchiveMetrics metrics) {
        this.config = config;
        this.node = node;
        this.status = new ArchiveStatus(node.dataDirectory().resolve("pg_wal"));
        if (!Files.isDirectory(status.statusDirectory())) {
            throw WalferryException.config("node " + node.name() + ": " + status.statusDirectory() + " does not exist",
                    "data_directory of node " + node.name() + " must be the PostgreSQL data directory");
        }
        Path spool = config.spoolFor(node);
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
            runtime = RuntimeDirectory.forDataDirectory(node.dataDirectory(), env);
            runtime.prepare(ProcessHandle.current().pid(), config.archive().timeout().toSeconds());
        } catch (IOException e) {
            throw WalferryException.config("cannot prepare the agent's runtime directory: " + e.getMessage(),
                    "run the agent as the PostgreSQL server's OS user");
        }
        // Twice as many pushes in flight as compress at once: the others wait on fsync and read-back.
        workers = Executors.newFixedThreadPool(2 * config.archive().workers(), Thread.ofPlatform().name("push-", 1).factory());
        EncodeGate encodeGate = EncodeGate.limit(config.archive().workers());
        housekeeping = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("housekeeping").daemon().factory());
        pusher = new LazyPusher(config, encodeGate);
        pushes = new PushScheduler(status, runtime, pusher, spool, workers, exitCodes, running::get, metrics);
        housekeeper = new Housekeeper(config, runtime, status, pushes,
                new CatchUpService(CatchUpMarkers.in(spool), spool, pusher, config.archive().compression(), encodeGate, running::get));
        streamer = config.archive().stream().on()
                ? Thread.ofPlatform().name("stream").daemon().unstarted(new WalStreamer(config, node, pusher, spool, running::get))
                : Thread.ofVirtual().name("stream-slot").unstarted(() -> WalStreamer.dropSlot(config, node));
        synchronousArchive = config.archive().stream().synchronous()
                ? java.util.Optional.of(Thread.ofPlatform().name("synchronous-archive").daemon().unstarted(new SynchronousArchive(config, node, running::get)))
                : java.util.Optional.empty();
        // A thread of its own: hashing or copying a large directory must not hold housekeeping up.
        auxDirectories = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("aux-directories").daemon().factory());
        aux = new AuxService(config, node, encodeGate);
    }

    /** The WAL files PostgreSQL has finished and the agent has not acknowledged yet (read now, for a scrape). */
    public ArchiveBacklog backlog() {
        try {
            return status.backlog(runtime::acked, System.currentTimeMillis());
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", status.statusDirectory(), e.getMessage());
            return ArchiveBacklog.NONE;
        }
    }

    /** Runs until {@link #close()}; returns only then. */
    public void run() {
        LOG.info("agent for node {} of cluster {}: watching {} with {} workers, {} compression; acks for archive_command in {}",
                node.name(), config.cluster(), status.statusDirectory(), config.archive().workers(), config.archive().compression(),
                runtime.path());
        pusher.openOrFailFast();
        housekeeping.scheduleWithFixedDelay(housekeeper::run, 0, HOUSEKEEPING_SECONDS, TimeUnit.SECONDS);
        streamer.start();
        synchronousArchive.ifPresent(Thread::start);
        if (!config.aux().directories().isEmpty()) {
            auxDirectories.scheduleWithFixedDelay(aux::run, 0, config.aux().interval().toMillis(), TimeUnit.MILLISECONDS);
        }
        // inotify wakes it at once; the rescan catches what a watch can miss (an overflow, a file made before it).
        try (WatchService watch = status.statusDirectory().getFileSystem().newWatchService()) {
            status.statusDirectory().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            while (running.get()) {
                pushes.scheduleReady();
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

    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        LOG.info("agent stopping: finishing pushes under way");
        housekeeping.shutdownNow();
        streamer.interrupt();
        synchronousArchive.ifPresent(Thread::interrupt);
        auxDirectories.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(60, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            runtime.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("cleanup at stop: {}", e.getMessage());
        }
        LOG.info("agent stopped");
    }
}
