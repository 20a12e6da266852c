package io.walferry.auxdir;

import io.walferry.repository.storage.Storage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What expire removes of an aux directory, from plain values. */
class AuxExpiryPlanTest {
    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
    private static final Duration GRACE = Duration.ofHours(48);

    private static Storage.Entry object(String name, Duration age) {
        return new Storage.Entry(name, 100, false, NOW.minus(age));
    }

    @Test
    void theNewestManifestsStayAndOldUnnamedObjectsGo() {
        Storage.Entry named = object("a".repeat(64), Duration.ofDays(30));
        Storage.Entry old = object("b".repeat(64), Duration.ofHours(49));
        Storage.Entry young = object("c".repeat(64), Duration.ofHours(47));
        AuxExpiryPlan plan = AuxExpiryPlan.decide(List.of("m1", "m2", "m3", "m4"), 3, Set.of("a".repeat(64)), List.of(named, old, young),
                NOW, GRACE);
        assertThat(plan.manifestsRemoved()).containsExactly("m1");
        assertThat(plan.manifestsKept()).containsExactly("m2", "m3", "m4");
        assertThat(plan.objectsRemoved()).containsExactly(old);
        assertThat(plan.objectsYoung()).isEqualTo(1);
        assertThat(plan.objectsKept()).isEqualTo(1);
    }

    @Test
    void fewerManifestsThanKeptRemoveNone() {
        assertThat(AuxExpiryPlan.kept(List.of("m1", "m2"), 3)).containsExactly("m1", "m2");
        AuxExpiryPlan plan = AuxExpiryPlan.decide(List.of(), 3, Set.of(), List.of(), NOW, GRACE);
        assertThat(plan.manifestsRemoved()).isEmpty();
        assertThat(plan.objectsRemoved()).isEmpty();
    }
}
