package io.walferry.fastpath;

import io.walferry.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A prefetcher is started with the command line by which it is then known, and a restore stops exactly that one. */
class PrefetcherProcessTest {
    @TempDir
    Path tmp;

    private final List<ProcessHandle> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(ProcessHandle::destroyForcibly);
    }

    private PrefetchQueue queue(Path data) throws IOException {
        Files.createDirectories(data.resolve("pg_wal"));
        PrefetchQueue q = PrefetchQueue.of(data);
        q.prepare();
        return q;
    }

    /** Stands in for the launcher: a shell script that keeps its command line (as the launcher's JVM does) until killed. */
    private Path launcher() throws IOException {
        Path l = tmp.resolve("walferry");
        Files.writeString(l, "#!/bin/sh\necho \"started $*\"\nwhile :; do sleep 1; done\n");
        Files.setPosixFilePermissions(l, PosixFilePermissions.fromString("rwx------"));
        return l;
    }

    @Test
    void startsOneWithItsPidAtOnceAndKnowsItByItsCommandLine() throws Exception {
        Path data = tmp.resolve("data");
        PrefetchQueue q = queue(data);
        Files.writeString(q.dir().resolve(".taken"), "000000010000000000000001\n");
        Files.writeString(q.dir().resolve(".missing"), "000000010000000000000002\n");
        Files.writeString(q.dir().resolve(".000000010000000000000003.walferry-1-a.tmp"), "killed fetch");
        PrefetcherProcess p = new PrefetcherProcess(launcher().toString(), tmp.resolve("walferry.yaml"));
        boolean[] before = new boolean[1];

        assertThat(p.startUnlessRunning(q, data, () -> before[0] = Files.notExists(q.dir().resolve(".taken")))).isTrue();
        assertThat(before[0]).as("what an earlier prefetcher left is cleared before").isTrue();
        assertThat(q.dir().resolve(".missing")).doesNotExist();
        assertThat(q.dir().resolve(".000000010000000000000003.walferry-1-a.tmp")).doesNotExist();
        long pid = q.pid().orElseThrow();
        ProcessHandle.of(pid).ifPresent(started::add);
        Await.until(Duration.ofSeconds(10), "the stand-in to log its start",
                () -> Files.readString(q.log()).contains("started -c " + tmp.resolve("walferry.yaml") + " archive-prefetch --data-directory " + data));
        assertThat(PrefetcherProcess.running(q, data)).as("the pid written is the prefetcher's own").map(ProcessHandle::pid).contains(pid);
        assertThat(PrefetcherProcess.running(q, tmp)).as("not another data directory's").isEmpty();

        try (PrefetchQueue.Lock held = q.tryLock()) {
            assertThat(held).isNotNull();
            assertThat(p.startUnlessRunning(q, data, () -> { throw new AssertionError("not while one holds the lock"); })).isFalse();
        }
    }

    @Test
    void aRestoreStopsTheQueuesPrefetcherAndRemovesTheQueueButSparesAnyOtherProcess() throws Exception {
        Path data = tmp.resolve("data");
        PrefetchQueue q = queue(data);
        Files.writeString(q.dir().resolve("000000010000000000000042"), "of the previous server");
        Process other = new ProcessBuilder("sleep", "120").start();
        started.add(other.toHandle());
        q.writePid(other.pid());
        PrefetchQueueReset.reset(data);
        assertThat(other.isAlive()).as("a pid that is no prefetcher of this directory (reused)").isTrue();
        assertThat(q.dir()).doesNotExist();

        q = queue(data);
        Process prefetcher = new ProcessBuilder("sh", "-c", "read x", PrefetcherProcess.COMMAND, PrefetcherProcess.DATA_DIRECTORY,
                data.toString()).start();
        started.add(prefetcher.toHandle());
        q.writePid(prefetcher.pid());
        assertThat(PrefetcherProcess.running(q, data)).isPresent();
        PrefetchQueueReset.reset(data);
        assertThat(prefetcher.isAlive()).isFalse();
        assertThat(q.dir()).doesNotExist();
        assertThat(PrefetcherProcess.running(q, data)).isEqualTo(Optional.empty());
    }
}
