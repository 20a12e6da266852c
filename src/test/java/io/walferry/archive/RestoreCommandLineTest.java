package io.walferry.archive;

import io.walferry.fastpath.PrefetchQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RestoreCommandLineTest {
    @TempDir
    Path dir;

    @Test
    void quotesPathsForShAndDoublesPercentForPostgres() {
        RestoreCommandLine line = new RestoreCommandLine("/opt/wal ferry/walferry", Path.of("/etc/it's%50.yaml"));
        assertThat(line.plain()).isEqualTo("'/opt/wal ferry/walferry' -c '/etc/it'\\''s%%50.yaml' archive-get %f \"%p\"");
        assertThat(new RestoreCommandLine("/usr/bin/walferry", Path.of("/etc/walferry.yaml")).plain())
                .isEqualTo("/usr/bin/walferry -c /etc/walferry.yaml archive-get %f \"%p\"");
    }

    /** The line run as PostgreSQL runs it: %f and %p substituted, %% made %, then sh -c, in the data directory. */
    private Process run(RestoreCommandLine line, String walFile) throws Exception {
        String cmd = line.render().replace("%f", walFile).replace("%p", "pg_wal/RECOVERYXLOG").replace("%%", "%");
        return new ProcessBuilder("sh", "-c", cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    @Test
    void handsOverAQueuedSegmentThroughPercentPWithoutTheLauncherAndRecordsIt() throws Exception {
        Path queue = Files.createDirectories(PrefetchQueue.directoryOf(dir));
        String seg = "000000010000000000000003";
        Files.writeString(queue.resolve(seg), "verified segment");
        Path launcher = fallbackLauncher();

        Process p = run(new RestoreCommandLine(launcher.toString(), Path.of("/etc/walferry.yaml")), seg);
        assertThat(p.waitFor()).isZero();
        assertThat(Files.readString(dir.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo("verified segment");
        assertThat(queue.resolve(seg)).doesNotExist();
        assertThat(Files.readAllLines(queue.resolve(".taken"))).containsExactly(seg);
        assertThat(PrefetchQueue.of(dir).lastTaken()).as("where the prefetcher reads replay's place").contains(seg);
        assertThat(dir.resolve("launcher-ran")).doesNotExist();
    }

    @Test
    void goesToTheLauncherForAnythingNotQueuedAndPassesItsExitCodeOn() throws Exception {
        Files.createDirectories(PrefetchQueue.directoryOf(dir));
        Path launcher = fallbackLauncher();

        Process p = run(new RestoreCommandLine(launcher.toString(), Path.of("/etc/walferry.yaml")), "00000002.history");
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve("launcher-ran")))
                .containsExactly("-c /etc/walferry.yaml archive-get 00000002.history pg_wal/RECOVERYXLOG");
        assertThat(dir.resolve("pg_wal/RECOVERYXLOG")).doesNotExist();
    }

    @Test
    void goesToTheLauncherWhenThereIsNoQueueAtAll() throws Exception {
        Files.createDirectories(dir.resolve("pg_wal"));
        Path launcher = fallbackLauncher();
        Process p = run(new RestoreCommandLine(launcher.toString(), Path.of("/etc/walferry.yaml")), "000000010000000000000003");
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(dir.resolve("launcher-ran")).exists();
    }

    /** Stands in for the launcher: records its arguments and answers "not in the archive". */
    private Path fallbackLauncher() throws Exception {
        Path launcher = dir.resolve("launcher dir").resolve("walferry");
        Files.createDirectories(launcher.getParent());
        Files.writeString(launcher, "#!/bin/sh\necho \"$*\" >>launcher-ran\nexit 1\n");
        launcher.toFile().setExecutable(true);
        return launcher;
    }
}
