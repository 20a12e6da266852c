package io.walferry.repository.storage;

import io.walferry.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The group commit of directory fsyncs: shared where that is safe, never a call returned before an fsync that began after it. */
class DirectorySyncsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Path DIR = Path.of("/repo/stream/000000010000000000000003");

    /** An fsync the test lets end, one at a time; it records how many began. */
    private static final class HeldFsync implements DirectorySyncs.Fsync {
        final AtomicInteger began = new AtomicInteger();
        final Semaphore end = new Semaphore(0);
        volatile boolean fail;

        @Override
        public void fsync(Path directory) throws IOException {
            began.incrementAndGet();
            try {
                if (!end.tryAcquire(1, TimeUnit.MINUTES)) {
                    throw new IOException("never let end");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (fail) {
                throw new IOException("fsync failed");
            }
        }
    }

    private static Thread syncing(DirectorySyncs syncs, List<String> returned, String name) {
        return Thread.ofPlatform().start(() -> {
            try {
                syncs.sync(DIR);
                returned.add(name);
            } catch (IOException e) {
                returned.add(name + " failed: " + e.getMessage());
            }
        });
    }

    @Test
    void callsMadeWhileAnFsyncRunsShareTheNextOneAndNoneReturnsBeforeAnFsyncThatBeganAfterIt() throws InterruptedException {
        HeldFsync fsync = new HeldFsync();
        DirectorySyncs syncs = new DirectorySyncs(fsync);
        List<String> returned = new CopyOnWriteArrayList<>();
        Thread a = syncing(syncs, returned, "a");
        Await.until(DEADLINE, "a's fsync to begin", () -> fsync.began.get() == 1);
        // b and c change the directory while a's fsync runs: it may not have seen their changes
        Thread b = syncing(syncs, returned, "b");
        Thread c = syncing(syncs, returned, "c");
        Await.until(DEADLINE, "b and c to wait", () -> b.getState() == Thread.State.WAITING && c.getState() == Thread.State.WAITING);
        fsync.end.release();
        a.join();
        assertThat(returned).containsExactly("a");
        Await.until(DEADLINE, "the fsync for b and c to begin", () -> fsync.began.get() == 2);
        assertThat(returned).as("b and c wait for an fsync that began after them").containsExactly("a");
        fsync.end.release();
        b.join();
        c.join();
        assertThat(returned).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(fsync.began.get()).as("one fsync for both").isEqualTo(2);
    }

    @Test
    void aFailedFsyncIsThrownToItsCallerAndTheCallsItWouldHaveCoveredRunTheirOwn() throws InterruptedException {
        HeldFsync fsync = new HeldFsync();
        DirectorySyncs syncs = new DirectorySyncs(fsync);
        List<String> returned = new CopyOnWriteArrayList<>();
        fsync.fail = true;
        Thread b = syncing(syncs, returned, "b");
        Await.until(DEADLINE, "b's fsync to begin", () -> fsync.began.get() == 1);
        Thread c = syncing(syncs, returned, "c");
        Await.until(DEADLINE, "c to wait", () -> c.getState() == Thread.State.WAITING);
        fsync.end.release();
        b.join();
        assertThat(returned).containsExactly("b failed: fsync failed");
        Await.until(DEADLINE, "c's own fsync to begin", () -> fsync.began.get() == 2);
        fsync.fail = false;
        fsync.end.release();
        c.join();
        assertThat(returned).containsExactly("b failed: fsync failed", "c");
    }

    @Test
    void aCallWithNoFsyncRunningRunsItsOwnAtOnce() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        DirectorySyncs syncs = new DirectorySyncs(d -> calls.incrementAndGet());
        syncs.sync(DIR);
        syncs.sync(DIR);
        syncs.sync(DIR.resolveSibling("000000010000000000000004"));
        assertThat(calls.get()).as("one after the other, each its own").isEqualTo(3);
    }

    @Test
    void aRealDirectoryIsSynced(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        new DirectorySyncs(FsStorage::fsyncDirectory).sync(dir);
        assertThatThrownBy(() -> new DirectorySyncs(FsStorage::fsyncDirectory).sync(dir.resolve("missing")))
                .isInstanceOf(IOException.class);
    }
}
