package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A killed postmaster nobody has reaped yet: alive to PostgreSQL's own check, and yet defunct. */
class PostmasterPidTest {
    @Test
    void aZombieIsAliveAsPostgresSeesItButDefunct() throws Exception {
        // the child exits once its parent has become a sleep (exec), which never reaps it: had it exited before the
        // exec, bash would have reaped it
        Process parent = new ProcessBuilder("bash", "-c",
                "p=$$; (until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.01; done) & echo $!; exec sleep 30").start();
        try {
            long child;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
                child = Long.parseLong(r.readLine().strip());
                io.walferry.testing.Await.until(Duration.ofSeconds(10), "the child to exit unreaped",
                        () -> Files.readString(Path.of("/proc/" + child + "/stat")).contains(") Z "));
            }
            PostmasterPid zombie = new PostmasterPid(child, 5432);
            assertThat(zombie.alive()).as("it holds its pid, as kill(pid, 0) says").isTrue();
            assertThat(zombie.defunct()).isTrue();
            PostmasterPid running = new PostmasterPid(parent.pid(), 5432);
            assertThat(running.alive()).isTrue();
            assertThat(running.defunct()).isFalse();
        } finally {
            parent.destroyForcibly().waitFor();
        }
        assertThat(new PostmasterPid(parent.pid(), 5432).alive()).as("reaped").isFalse();
    }
}
