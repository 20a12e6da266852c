package io.walferry.cli;

import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recovery target PostgreSQL would refuse at its start is refused by restore before anything is read or
 * written, in one line that names it, with exit 2: with --backup too, which skips choosing a backup by it.
 */
class RestoreTargetCheckTest {
    private Path dir;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-restore-target-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    private record Run(int code, String out, String err) {
    }

    private Run restore(String... extra) {
        List<String> args = new ArrayList<>(List.of("-c", dir.resolve("none.yaml").toString(), "restore", "--target-dir",
                dir.resolve("restored").toString()));
        args.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err), Map.of());
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aTargetPostgresWouldRefuseIsOneLineBeforeAnythingIsRestored() {
        List<List<String>> bad = List.of(
                List.of("--target-time", "yesterday at noon"),
                List.of("--target-time", "yesterday at noon", "--backup", "20261122T100000Z"),
                List.of("--target-time", "2026-11-22 10:00:00", "--backup", "20261122T100000Z"),
                List.of("--target-time", "2026-13-45 10:00:00+00"),
                List.of("--target-lsn", "nope"),
                List.of("--target-lsn", "0/5000138/1"),
                List.of("--target-xid", "abc"),
                List.of("--target-xid", "-5"),
                List.of("--target-name", ""),
                List.of("--target-name", "x".repeat(64)));
        for (List<String> target : bad) {
            Run r = restore(target.toArray(String[]::new));
            assertThat(r.code()).as(target + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(target.toString()).startsWith("walferry: " + target.get(0)).hasLineCount(1).contains("hint:");
            assertThat(r.out()).isEmpty();
            assertThat(dir.resolve("restored")).as("nothing restored").doesNotExist();
        }
        assertThat(restore("--target-time", "yesterday at noon").err()).contains("'2026-11-22 10:00:00+00'");
    }
}
