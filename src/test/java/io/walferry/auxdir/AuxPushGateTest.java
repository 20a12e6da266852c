package io.walferry.auxdir;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which manifests a node may push over, and the brake on a push that drops most of one it never pulled. */
class AuxPushGateTest {
    private static final String OLDER = "20261122T090101.000Z";
    private static final String ID = "20261122T090102.123Z";
    private static final String NEWER = "20261122T090103.000Z";

    private static AuxContent files(String... paths) {
        return new AuxContent(List.of(), List.of(paths).stream().map(p -> new AuxContent.File(p, 1, "0644", "a".repeat(64),
                List.of("a".repeat(64)))).toList(), List.of());
    }

    private static AuxManifest manifest(String node, AuxContent content) {
        return AuxManifest.of(ID, "main", "models", node, Instant.parse("2026-11-22T09:01:02.123Z"), content);
    }

    @Test
    void aNodeIsInStepWithNoManifestItsOwnOrOneItPulledCompletely() {
        AuxManifest m = manifest("pg1", files("a"));
        assertThat(AuxPushGate.inStep(Optional.empty(), "pg2", Optional.empty())).isTrue();
        assertThat(AuxPushGate.inStep(Optional.of(m), "pg1", Optional.empty())).as("its own").isTrue();
        assertThat(AuxPushGate.inStep(Optional.of(m), "pg2", Optional.of(ID))).as("pulled completely").isTrue();
        assertThat(AuxPushGate.inStep(Optional.of(m), "pg2", Optional.of(NEWER))).as("a newer one pulled completely").isTrue();
        assertThat(AuxPushGate.inStep(Optional.of(m), "pg2", Optional.of(OLDER))).as("only an older one pulled").isFalse();
        assertThat(AuxPushGate.inStep(Optional.of(m), "pg2", Optional.empty())).as("never pulled completely").isFalse();
    }

    @Test
    void aPushThatDropsMoreThanHalfOfAManifestTheNodeNeverPulledIsRefused() {
        AuxManifest m = manifest("pg1", files("a", "b", "c", "d"));
        assertThat(AuxPushGate.brake(m, files("a"), "pg2", Optional.empty())).hasValueSatisfying(why -> assertThat(why)
                .isEqualTo("it would drop 3 of the 4 files of manifest " + ID + " (written by node pg1), which node pg2 never pulled completely"));
        assertThat(AuxPushGate.brake(m, AuxContent.EMPTY, "pg2", Optional.of(OLDER))).isPresent();
        assertThat(AuxPushGate.brake(m, files("a", "b"), "pg2", Optional.empty())).as("half is not more than half").isEmpty();
        assertThat(AuxPushGate.brake(m, AuxContent.EMPTY, "pg2", Optional.of(ID))).as("pulled: its removals are the node's own").isEmpty();
        assertThat(AuxPushGate.brake(m, AuxContent.EMPTY, "pg1", Optional.empty())).as("its own manifest").isEmpty();
        assertThat(AuxPushGate.brake(manifest("pg1", AuxContent.EMPTY), AuxContent.EMPTY, "pg2", Optional.empty())).isEmpty();
    }
}
