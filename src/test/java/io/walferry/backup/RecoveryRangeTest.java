package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The decision on a recovery target, from the backup's end and the archive's newest segment, without servers. */
class RecoveryRangeTest {
    private static final BackupManifest BACKUP = new BackupManifest(1, "20261122T100000Z", "main", "1", 150000, 1, "0/3000028",
            "0/3000138", "a", "b", "2026-11-22T10:00:00Z", "2026-11-22T10:00:09Z", false, "pg1", "lz4", 1 << 20, List.of(), List.of(),
            List.of());
    /** 16 MiB segments: 0000000100000000000000 0B ends at 0/C000000; it was stored at 11:00. */
    private static final RecoveryRange RANGE = new RecoveryRange("local", BACKUP, Optional.of(new RecoveryRange.ArchiveEnd(
            new WalFileName.Segment("00000001000000000000000B"), Lsn.parse("0/C000000"), Instant.parse("2026-11-22T11:00:00Z"))));

    private static RecoveryTarget time(String t) {
        return RecoveryTarget.of(Optional.of(t), Optional.empty(), Optional.empty(), Optional.empty(), "promote", "latest");
    }

    private static RecoveryTarget lsn(String l) {
        return RecoveryTarget.of(Optional.empty(), Optional.of(l), Optional.empty(), Optional.empty(), "promote", "latest");
    }

    @Test
    void targetsFromTheBackupsEndToTheArchivesEndPass() {
        for (RecoveryTarget t : List.of(time("2026-11-22 10:00:09+00"), time("2026-11-22 12:00:00+01"), lsn("0/3000138"), lsn("0/BFFFFFF"),
                RecoveryTarget.none(), RecoveryTarget.of(Optional.empty(), Optional.empty(), Optional.of("4711"), Optional.empty(), "promote",
                        "latest"))) {
            assertThatCode(() -> RANGE.check(t, false)).as(t.toString()).doesNotThrowAnyException();
        }
    }

    @Test
    void aTargetBeforeTheBackupsEndIsRefusedWithTheRangeEvenWhenForced() {
        assertThatThrownBy(() -> RANGE.check(lsn("0/3000137"), true)).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.CONFIG);
            assertThat(e.getMessage()).isEqualTo("--target-lsn 0/3000137 is before the end of backup 20261122T100000Z: a restore from "
                    + "backup 20261122T100000Z can reach LSN 0/3000138 to 0/C000000 (the end of 00000001000000000000000B)");
        });
        assertThatThrownBy(() -> RANGE.check(time("2026-11-22 10:00:08+00"), true))
                .hasMessage("--target-time '2026-11-22 10:00:08+00' is before the end of backup 20261122T100000Z: a restore from backup "
                        + "20261122T100000Z can reach 2026-11-22T10:00:09Z to 2026-11-22T11:00:00Z (when 00000001000000000000000B was stored)");
    }

    @Test
    void aTargetAfterTheArchivesEndIsRefusedUnlessAllowed() {
        for (RecoveryTarget t : List.of(lsn("0/C000000"), lsn("FF/0"), time("2026-11-22 11:00:01+00"), time("2026-11-22 12:00:01+01"))) {
            assertThatThrownBy(() -> RANGE.check(t, false)).as(t.toString()).isInstanceOfSatisfying(WalferryException.class, e -> {
                assertThat(e.kind()).isEqualTo(Failure.CONFIG);
                assertThat(e.getMessage()).contains("is after the newest WAL in repository local");
                assertThat(e.hint()).contains("--force");
            });
            assertThatCode(() -> RANGE.check(t, true)).doesNotThrowAnyException();
        }
    }

    @Test
    void withNoWalOnTheTimelinesOnlyTheBackupsEndBounds() {
        RecoveryRange none = new RecoveryRange("local", BACKUP, Optional.empty());
        assertThatCode(() -> none.check(lsn("FF/0"), false)).doesNotThrowAnyException();
        assertThatThrownBy(() -> none.check(lsn("0/1"), false)).hasMessageEndingWith("can reach LSN 0/3000138 on");
    }

    @Test
    void formsPostgresWouldRefuseAreRefusedWhenTheTargetIsMade() {
        assertThatThrownBy(() -> time("yesterday at noon")).hasMessageStartingWith("--target-time 'yesterday at noon'");
        assertThatThrownBy(() -> time("2026-11-22 10:00:00 UTC+1")).hasMessageStartingWith("--target-time");
        assertThatThrownBy(() -> lsn("-1/0")).hasMessageStartingWith("--target-lsn -1/0 is not an LSN");
        assertThatThrownBy(() -> lsn("1/123456789")).hasMessageStartingWith("--target-lsn");
        assertThatThrownBy(() -> RecoveryTarget.of(Optional.empty(), Optional.empty(), Optional.of("18446744073709551616"), Optional.empty(),
                "promote", "latest")).hasMessageStartingWith("--target-xid");
        assertThatCode(() -> RecoveryTarget.of(Optional.empty(), Optional.empty(), Optional.of("18446744073709551615"), Optional.empty(),
                "promote", "latest")).doesNotThrowAnyException();
        assertThatThrownBy(() -> RecoveryTarget.of(Optional.of("2026-11-22 10:00:00+00"), Optional.of("0/1"), Optional.empty(), Optional.empty(),
                "promote", "latest")).hasMessage("more than one recovery target given");
    }
}
