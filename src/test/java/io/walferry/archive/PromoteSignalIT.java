package io.walferry.archive;

import io.walferry.fastpath.PrefetchQueue;
import io.walferry.testing.PgCluster;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A promotion never waits on the prefetcher: restore_command runs in PostgreSQL's startup process, which sees the
 * promote request only between two calls. With "promote" (what pg_promote() writes) in the data directory, the launcher hands the call to
 * the JVM at once instead of waiting (up to a minute) for a prefetcher that is stuck, e.g. on a hung repository. The
 * stuck prefetcher is a stand-in process with the prefetcher's command line: the launcher knows a prefetcher only by
 * its pid file and /proc/PID/cmdline.
 */
class PromoteSignalIT {
    /** The stand-in's own pid: runuser's child, whose command line is the prefetcher's. */
    private static long awaitStandIn(Process started) {
        long[] pid = new long[1];
        io.walferry.testing.Await.until(Duration.ofSeconds(10), "the stand-in prefetcher to run", () -> {
            java.util.Optional<ProcessHandle> h = started.toHandle().descendants()
                    .filter(p -> cmdline(p.pid()).startsWith("walferry archive-prefetch")).findFirst();
            h.ifPresent(p -> pid[0] = p.pid());
            return h.isPresent();
        });
        return pid[0];
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void aPromoteRequestEndsTheLaunchersWaitForThePrefetcher() throws Exception {
        Path dir = TempDirs.create("wf-promote-signal-");
        Process stuck = null;
        try (PgCluster pg = PgCluster.init(dir, "standby", 1)) {
            WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), pg, "  prefetch: 4\n");
            Path data = pg.dataDir();
            Path queue = PrefetchQueue.directoryOf(data);
            Files.createDirectories(queue);
            // as the server's user, as a real prefetcher runs: the launcher checks it is alive with kill -0
            stuck = new ProcessBuilder(ServerUser.wrap(List.of("bash", "-c", "exec -a 'walferry archive-prefetch stand-in' sleep 300")))
                    .start();
            String segment = "000000010000000000000005";
            long pid = awaitStandIn(stuck);
            Files.writeString(queue.resolve(".pid"), pid + "\n");
            Files.writeString(queue.resolve(".from"), segment + "\n");
            Files.writeString(data.resolve("standby.signal"), "");
            for (Path p : List.of(queue, queue.resolve(".pid"), queue.resolve(".from"), data.resolve("standby.signal"))) {
                ServerUser.chown(p);
            }
            Files.setPosixFilePermissions(queue, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

            WalferryFixture.launcher(); // its first use records the startup cache: not part of the call timed below
            Files.writeString(data.resolve("promote"), ""); // what pg_promote() and pg_ctl promote write
            ServerUser.chown(data.resolve("promote"));
            long t0 = System.nanoTime();
            Result r = wf.run(data, "archive-get", segment, "pg_wal/RECOVERYXLOG");
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
            assertThat(took).as("the launcher did not wait for the stuck prefetcher (it waits up to 60 s without a promote request)")
                    .isLessThan(Duration.ofSeconds(20));
            assertThat(Files.exists(data.resolve("pg_wal/RECOVERYXLOG"))).isFalse();
        } finally {
            if (stuck != null) {
                stuck.descendants().forEach(ProcessHandle::destroyForcibly);
                stuck.destroyForcibly();
            }
            TempDirs.deleteTree(dir);
        }
    }
}
