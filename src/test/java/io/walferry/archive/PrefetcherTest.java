package io.walferry.archive;

import io.walferry.config.Compression;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.fastpath.PrefetchQueue;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import io.walferry.testing.Await;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefetcher's loop over a real filesystem repository and a data directory, without a server. */
class PrefetcherTest {
    private static final long SEG = 1 << 20;
    private static final ClusterIdentity IDENTITY = new ClusterIdentity(7_000_000_000_000_000_042L, new PgVersion(15), SEG);

    private Path dir;
    private Path data;
    private Repository repository;
    private PrefetchQueue queue;
    private final ExecutorService runner = Executors.newSingleThreadExecutor();

    @BeforeEach
    void setUp() throws IOException {
        dir = TempDirs.create("wf-prefetcher-");
        data = Files.createDirectories(dir.resolve("data/pg_wal")).getParent();
        Files.writeString(data.resolve("postmaster.pid"), "1\n");
        Files.createDirectories(dir.resolve("repo"));
        WalferryConfig config = new ConfigLoader(Map.of()).load(Files.writeString(dir.resolve("walferry.yaml"), """
                cluster: test
                nodes: [{name: pg1, data_directory: %1$s/data}]
                repositories: [{name: local, type: fs, path: %1$s/repo}]
                """.formatted(dir)));
        repository = Repository.open(config.repositories().get(0), config.cluster(), false);
        repository.register(ClusterRecord.of("test", IDENTITY, "2026-11-22T00:00:00Z", "test"));
        queue = PrefetchQueue.of(data);
        queue.prepare();
        queue.startAt(segment(1));
    }

    @AfterEach
    void tearDown() {
        runner.shutdownNow();
        TempDirs.deleteTree(dir);
    }

    private static WalFileName.Segment segment(long n) {
        return WalFileName.Segment.of(1, n, SEG);
    }

    /** Archives segment {@code n} as PostgreSQL 15 starts one: its long page header, then anything. */
    private void archive(long n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) SEG).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, 1).putLong(8, n * SEG)
                .putLong(24, IDENTITY.systemIdentifier()).putInt(32, (int) SEG).putInt(36, 8192);
        Path p = Files.write(dir.resolve("segment-" + n), b.array());
        repository.putWal(segment(n), p, Compression.NONE);
    }

    private Future<?> start(int depth, int workers, Duration idle) {
        Prefetcher p = new Prefetcher(queue, new ArchiveGetter(List.of(repository)), data, depth, workers, SEG, idle);
        return runner.submit(() -> {
            p.run();
            return null;
        });
    }

    @Test
    void aFullQueueThatNobodyTakesFromStillEndsInIdleness() throws Exception {
        for (long n = 1; n <= 5; n++) {
            archive(n);
        }
        Future<?> run = start(2, 1, Duration.ofSeconds(1));
        Await.until(Duration.ofSeconds(20), "the queue to fill", () -> queue.queued().size() == 2);
        // A promoted or paused server stops taking with the queue full: the prefetcher must not keep it for good.
        run.get(20, TimeUnit.SECONDS);
        assertThat(queue.queued()).as("the cache on pg_wal's volume goes with it").isEmpty();
        assertThat(queue.pid()).isEmpty();
    }

    @Test
    void marksTheFirstSegmentNotArchivedAndClearsTheMarkOnceItIs() throws Exception {
        for (long n = 1; n <= 3; n++) {
            archive(n);
        }
        Future<?> run = start(8, 2, Duration.ofSeconds(60));
        Await.until(Duration.ofSeconds(20), "segment 4 to be marked missing",
                () -> queue.missing().filter(segment(4).fileName()::equals).isPresent());
        assertThat(queue.queued()).containsExactly(segment(1).fileName(), segment(2).fileName(), segment(3).fileName());
        assertThat(queue.pid()).hasValue(ProcessHandle.current().pid());

        archive(4);
        Await.until(Duration.ofSeconds(20), "segment 4 to be fetched", () -> queue.queued().contains(segment(4).fileName()));
        Await.until(Duration.ofSeconds(20), "segment 5 to be marked missing in its place",
                () -> queue.missing().filter(segment(5).fileName()::equals).isPresent());

        // replay took 1 and 2 (the launcher's record), and jumped to timeline 2 (archive-get's .from)
        Files.writeString(queue.dir().resolve(PrefetchQueue.TAKEN), segment(1).fileName() + "\n" + segment(2).fileName() + "\n");
        Await.until(Duration.ofSeconds(20), "what replay passed to be dropped",
                () -> queue.queued().equals(List.of(segment(3).fileName(), segment(4).fileName())));
        queue.startAt(WalFileName.Segment.of(2, 6, SEG));
        Await.until(Duration.ofSeconds(20), "the jump to be followed",
                () -> queue.missing().filter(WalFileName.Segment.of(2, 6, SEG).fileName()::equals).isPresent());

        Files.delete(data.resolve("postmaster.pid"));
        run.get(20, TimeUnit.SECONDS);
        assertThat(queue.queued()).isEmpty();
    }
}
