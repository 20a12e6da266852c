package io.walferry.backup;

import io.walferry.monitor.RestoreState;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class RestoreRecordTest {
    private Path dir;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-restore-record-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    @Test
    void whatTheRestoreRecordsTheAgentReadsBack() throws IOException {
        assertThat(RestoreRecord.read(dir)).isEmpty();
        RestoreState r = new RestoreState("20261207T093000Z", "s3", Instant.parse("2026-12-07T10:00:00.250Z"),
                Instant.parse("2026-12-07T10:01:30Z"), 5_000_000_000L);
        RestoreRecord.write(dir, r);
        assertThat(RestoreRecord.read(dir)).contains(r);
        assertThat(r.durationSeconds()).isEqualTo(89.75);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(RestoreRecord.FILE)))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(RestoreRecord.FILE);
        }
    }

    @Test
    void aDamagedRecordIsNoRestore() throws IOException {
        Files.writeString(dir.resolve(RestoreRecord.FILE), "{\"version\":1,\"backup\":");
        assertThat(RestoreRecord.read(dir)).isEmpty();
    }
}
