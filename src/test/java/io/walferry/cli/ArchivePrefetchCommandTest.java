package io.walferry.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefetcher as the launcher starts it for a restored data directory's first call. */
class ArchivePrefetchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void withPrefetchOffItExitsAtOnceAndLeavesTheDataDirectoryAlone() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/pg_wal"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("backup_label"), """
                START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
                CHECKPOINT LOCATION: 0/2000060
                BACKUP METHOD: streamed
                BACKUP FROM: primary
                START TIME: 2026-12-01 00:02:54 UTC
                LABEL: test
                START TIMELINE: 1
                """);
        Path config = tmp.resolve("walferry.yaml");
        Files.writeString(config, """
                cluster: test
                nodes:
                  - name: pg1
                    port: 5432
                    data_directory: %s
                repositories:
                  - name: local
                    type: fs
                    path: %s
                archive:
                  prefetch: 0
                """.formatted(data, tmp.resolve("repo-that-is-not-there")));
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", config.toString(), "archive-prefetch", "--data-directory", data.toString(), "--from-backup-label"},
                new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());
        assertThat(code).as(err.toString()).isZero();
        // the launcher's wait for an answer then ends with the process, and archive-get's JVM answers
        assertThat(data.resolve("pg_wal/walferry-prefetch")).doesNotExist();
    }
}
