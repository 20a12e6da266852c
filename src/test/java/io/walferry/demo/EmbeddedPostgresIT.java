package io.walferry.demo;

import io.walferry.postgres.PgBinaries;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's way to a server on a machine without one: the binaries from Maven Central, checked and unpacked once. */
class EmbeddedPostgresIT {
    @Test
    void downloadsChecksAndUnpacksAWorkingServerOnce() throws Exception {
        Path cache = TempDirs.create("wf-embedded-pg-");
        try {
            List<String> said = new ArrayList<>();
            PgBinaries bin = EmbeddedPostgres.obtain(cache, said::add);
            assertThat(said).anyMatch(l -> l.contains("downloading PostgreSQL " + EmbeddedPostgres.VERSION));
            Process p = new ProcessBuilder(bin.program("postgres").toString(), "--version").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).isZero();
            assertThat(version).contains("15.");
            assertThat(Files.isExecutable(bin.program("initdb"))).isTrue();

            List<String> again = new ArrayList<>();
            assertThat(EmbeddedPostgres.obtain(cache, again::add).directory()).isEqualTo(bin.directory());
            assertThat(again).as("the second time from the cache").isEmpty();
        } finally {
            TempDirs.deleteTree(cache);
        }
    }
}
