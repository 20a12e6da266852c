package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ControlDataTest {
    private static String output(String state, String checkpoint) {
        return """
                pg_control version number:            1300
                Catalog version number:               202209061
                Database system identifier:           7310868017892028576
                Database cluster state:               %s
                pg_control last modified:             Sat 22 Nov 2026 09:01:02 AM UTC
                Latest checkpoint location:           %s
                Latest checkpoint's REDO location:    %s
                Latest checkpoint's TimeLineID:       3
                Bytes per WAL segment:                16777216
                """.formatted(state, checkpoint, checkpoint);
    }

    @Test
    void aShutdownCheckpointRightAfterASegmentSwitchNeedsOnlyTheSegmentsBefore() {
        ControlData cd = ControlData.parse(output("shut down", "0/4000028")).orElseThrow();
        assertThat(cd.shutDownCleanly()).isTrue();
        assertThat(cd.systemIdentifier()).isEqualTo("7310868017892028576");
        assertThat(cd.timeline()).isEqualTo(3);
        assertThat(cd.walEnd()).isEqualTo(Lsn.parse("0/4000000"));
    }

    @Test
    void elsewhereInASegmentEveryRecordBeforeTheCheckpointIsNeeded() {
        ControlData cd = ControlData.parse(output("shut down", "0/40001A0")).orElseThrow();
        assertThat(cd.walEnd()).isEqualTo(Lsn.parse("0/40001A0"));
    }

    @Test
    void aStandbyOrACrashIsNoCleanShutdownOfAPrimary() {
        assertThat(ControlData.parse(output("shut down in recovery", "0/4000028")).orElseThrow().shutDownCleanly()).isFalse();
        assertThat(ControlData.parse(output("in production", "0/4000028")).orElseThrow().shutDownCleanly()).isFalse();
    }

    @Test
    void outputWithoutTheLinesIsNothing() {
        assertThat(ControlData.parse("pg_controldata: error: could not open file\n")).isEmpty();
    }
}
