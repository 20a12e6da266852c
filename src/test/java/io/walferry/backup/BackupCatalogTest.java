package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupCatalogTest {
    private static final List<BackupManifest> TWO = List.of(
            backup("20261122T090000Z", "0/5000138", "2026-11-22T09:00:09Z"),
            backup("20261122T100000Z", "0/9000138", "2026-11-22T10:00:09Z"));

    private static BackupManifest backup(String id, String stopLsn, String stopTime) {
        return new BackupManifest(1, id, "main", "1", 150000, 1, "0/1000028", stopLsn, "a", "b", stopTime, stopTime, false,
                "pg1", "lz4", 1 << 20, List.of(), List.of(), List.of());
    }

    private static RecoveryTarget time(String t) {
        return new RecoveryTarget(Optional.of(t), Optional.empty(), Optional.empty(), Optional.empty(), "promote", "latest");
    }

    private static RecoveryTarget lsn(String l) {
        return new RecoveryTarget(Optional.empty(), Optional.of(l), Optional.empty(), Optional.empty(), "promote", "latest");
    }

    private static String chosen(RecoveryTarget target) {
        return BackupCatalog.choose(TWO, target, "local").id();
    }

    @Test
    void aTimeTargetGetsTheNewestBackupThatEndsAtOrBeforeIt() {
        assertThat(chosen(time("2026-11-22 09:59:59+00"))).isEqualTo("20261122T090000Z");
        assertThat(chosen(time("2026-11-22 10:00:09+00"))).isEqualTo("20261122T100000Z");
        assertThat(chosen(time("2026-11-22 11:30:00.5+01:00"))).as("10:30 UTC").isEqualTo("20261122T100000Z");
        assertThat(chosen(time("2026-11-22T05:00:00-05"))).as("10:00 UTC").isEqualTo("20261122T090000Z");
        assertThat(chosen(time("2026-11-22 10:10:00 Europe/Berlin"))).as("09:10 UTC").isEqualTo("20261122T090000Z");
        assertThat(chosen(time("2026-11-22 10:00:10Z"))).isEqualTo("20261122T100000Z");
    }

    @Test
    void anLsnTargetGetsTheNewestBackupThatEndsAtOrBeforeIt() {
        assertThat(chosen(lsn("0/9000137"))).isEqualTo("20261122T090000Z");
        assertThat(chosen(lsn("0/9000138"))).isEqualTo("20261122T100000Z");
        assertThat(chosen(lsn("1/0"))).isEqualTo("20261122T100000Z");
    }

    @Test
    void xidAndNameTargetsAndNoTargetGetTheNewest() {
        assertThat(chosen(RecoveryTarget.none())).isEqualTo("20261122T100000Z");
        assertThat(chosen(new RecoveryTarget(Optional.empty(), Optional.empty(), Optional.of("1"), Optional.empty(), "promote", "latest")))
                .isEqualTo("20261122T100000Z");
        assertThat(chosen(new RecoveryTarget(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("x"), "promote", "latest")))
                .isEqualTo("20261122T100000Z");
    }

    @Test
    void aTargetBeforeEveryBackupNamesTheEarliestRestorablePoint() {
        assertThatThrownBy(() -> chosen(time("2026-11-22 09:00:08+00"))).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.CONFIG);
            assertThat(e.oneLine()).contains("the earliest point a restore can reach is 2026-11-22T09:00:09Z, the end of backup 20261122T090000Z");
        });
        assertThatThrownBy(() -> chosen(lsn("0/5000000"))).hasMessageContaining("is LSN 0/5000138, the end of backup 20261122T090000Z");
    }

    @Test
    void aTimeWalferryCannotPlaceIsRefusedWithTheFix() {
        assertThatThrownBy(() -> chosen(time("2026-11-22 10:00:00"))).isInstanceOfSatisfying(WalferryException.class,
                e -> assertThat(e.oneLine()).startsWith("--target-time '2026-11-22 10:00:00'").contains("'2026-11-22 10:00:00+00'"));
        assertThatThrownBy(() -> chosen(time("yesterday"))).isInstanceOf(WalferryException.class);
        assertThatThrownBy(() -> chosen(time("2026-11-22 10:00:00 Nowhere/Town"))).isInstanceOf(WalferryException.class);
        assertThatThrownBy(() -> chosen(lsn("nope"))).hasMessageContaining("is not an LSN");
    }
}
