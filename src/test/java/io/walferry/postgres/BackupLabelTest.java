package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BackupLabelTest {
    private static final String LABEL = """
            START WAL LOCATION: 0/9000028 (file 000000020000000000000009)
            CHECKPOINT LOCATION: 1/A000060
            BACKUP METHOD: streamed
            BACKUP FROM: primary
            START TIME: 2026-11-22 12:00:00 UTC
            LABEL: walferry
            START TIMELINE: 2
            """;

    @Test
    void theFirstSegmentIsTheCheckpointRecords() {
        BackupLabel label = BackupLabel.parse(LABEL).orElseThrow();
        assertThat(label.timeline()).isEqualTo(2);
        assertThat(label.checkpointSegment(16 << 20).fileName()).isEqualTo("00000002000000010000000A");
        assertThat(label.checkpointSegment(64 << 20).fileName()).isEqualTo("000000020000000100000002");
    }

    @Test
    void aLabelWithoutTheLinesIsNoLabel() {
        assertThat(BackupLabel.parse("START WAL LOCATION: 0/9000028 (file 000000010000000000000009)\n")).isEmpty();
        assertThat(BackupLabel.parse("CHECKPOINT LOCATION: zz/1\nSTART TIMELINE: 1\n")).isEmpty();
    }
}
