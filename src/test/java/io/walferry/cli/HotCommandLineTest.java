package io.walferry.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The command lines recognised without picocli are exactly the generated ones; anything else is picocli's. */
class HotCommandLineTest {
    private static boolean hot(String... args) {
        return HotCommandLine.parse(args, new Main()).isPresent();
    }

    @Test
    void theGeneratedCommandLinesAreRecognised() {
        assertThat(hot("-c", "/etc/walferry.yaml", "archive-get", "000000010000000000000001", "pg_wal/RECOVERYXLOG")).isTrue();
        assertThat(hot("archive-get", "00000002.history", "pg_wal/RECOVERYHISTORY")).isTrue();
        assertThat(hot("--config", "w.yaml", "archive-push", "pg_wal/000000010000000000000001")).isTrue();
        assertThat(hot("-c", "w.yaml", "archive-prefetch", "--data-directory", "/var/lib/pg")).isTrue();
        assertThat(hot("-c", "w.yaml", "archive-prefetch", "--data-directory", "/var/lib/pg", "--from-backup-label")).isTrue();
    }

    @Test
    void anythingElseGoesToPicocli() {
        assertThat(hot("--debug", "archive-get", "000000010000000000000001", "p")).isFalse();
        assertThat(hot("archive-get", "000000010000000000000001", "p", "--output", "json")).isFalse();
        assertThat(hot("archive-get", "000000010000000000000001")).isFalse();
        assertThat(hot("archive-push", "a", "b")).isFalse();
        assertThat(hot("-c", "--debug", "archive-push", "a")).isFalse();
        assertThat(hot("archive-prefetch", "--data", "/x")).isFalse();
        assertThat(hot("archive-prefetch", "--data-directory", "/x", "--from-label")).isFalse();
        assertThat(hot("archive-get", "-h", "x")).isFalse();
        assertThat(hot("info")).isFalse();
        assertThat(hot()).isFalse();
    }

    @Test
    void aFailureIsOneLineAndAnExitCode() {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", "/nonexistent/walferry.yaml", "archive-push", "pg_wal/000000010000000000000001"},
                new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("walferry: ").contains("/nonexistent/walferry.yaml").doesNotContain("\tat ");
        assertThat(err.toString().strip().lines()).hasSize(1);
    }
}
