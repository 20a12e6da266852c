package io.walferry.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * restore, replica create and promote write data directories or start servers, verify writes its record and repairs
 * into the repositories: never as root.
 */
class NotAsRootTest {
    @Test
    void restoreRefusesRootWithAOneLineHint() throws Exception {
        boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", "/nonexistent.yaml", "restore", "--target-dir", "/tmp/x"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        if (root) {
            assertThat(err.toString().strip()).contains("must not run as root").contains("sudo -u postgres").doesNotContain("\n");
        } else {
            assertThat(err.toString()).contains("does not exist"); // got past the check to the configuration
        }
    }

    @Test
    void verifyRefusesRootWithAOneLineHint() throws Exception {
        boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", "/nonexistent.yaml", "verify"}, new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        if (root) {
            assertThat(err.toString().strip()).contains("walferry verify must not run as root").contains("sudo -u postgres").doesNotContain("\n");
        } else {
            assertThat(err.toString()).contains("does not exist");
        }
    }
}
