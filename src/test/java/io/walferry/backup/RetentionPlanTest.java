package io.walferry.backup;

import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Retention's decisions, without a repository: what is kept, what expires, which WAL goes, which unfinished backups go. */
class RetentionPlanTest {
    private static final long SEG = 16L << 20;
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final Retention.Policy KEEP_2 = new Retention.Policy(Optional.of(2), Optional.empty(), Duration.ofHours(48));

    /** A backup that started at {@code start}, took a minute, and needs WAL from segment {@code segno} on timeline 1. */
    private static RetentionPlan.Backup backup(String start, long segno) {
        Instant t = Instant.parse(start);
        String id = BackupManifest.idAt(t);
        return new RetentionPlan.Backup(id, t.plusSeconds(60), WalFileName.Segment.of(1, segno, SEG));
    }

    private static List<WalFileName> segments(long from, long to) {
        return java.util.stream.LongStream.rangeClosed(from, to).<WalFileName>mapToObj(n -> WalFileName.Segment.of(1, n, SEG)).toList();
    }

    private static List<String> names(List<WalFileName> wal) {
        return wal.stream().map(WalFileName::fileName).toList();
    }

    @Test
    void keepsTheNewestByCountAndRemovesTheWalOnlyTheExpiredNeeded() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-11-27T00:00:00Z", 2), backup("2026-11-28T00:00:00Z", 5),
                backup("2026-11-29T00:00:00Z", 8));
        RetentionPlan p = RetentionPlan.decide(KEEP_2, NOW, b, List.of(), segments(1, 9), SEG);
        assertThat(p.retained()).containsExactly(b.get(1).id(), b.get(2).id());
        assertThat(p.expired()).containsExactly(b.get(0).id());
        assertThat(names(p.walRemoved())).containsExactly("000000010000000000000001", "000000010000000000000002",
                "000000010000000000000003", "000000010000000000000004");
        assertThat(p.walKeptFrom()).contains("000000010000000000000005");
    }

    @Test
    void theOrderTheBackupsAreGivenInDoesNotMatter() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-11-29T00:00:00Z", 8), backup("2026-11-27T00:00:00Z", 2),
                backup("2026-11-28T00:00:00Z", 5));
        RetentionPlan p = RetentionPlan.decide(KEEP_2, NOW, b, List.of(), List.of(), SEG);
        assertThat(p.expired()).containsExactly(b.get(1).id());
        assertThat(p.walKeptFrom()).contains("000000010000000000000005");
    }

    @Test
    void byAgeTheNewestBackupOlderThanTheWindowIsKeptToRecoverToItsStart() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-11-20T00:00:00Z", 2), backup("2026-11-25T00:00:00Z", 5),
                backup("2026-11-28T00:00:00Z", 8), backup("2026-11-30T00:00:00Z", 11));
        Retention.Policy threeDays = new Retention.Policy(Optional.empty(), Optional.of(Duration.ofDays(3)), Duration.ofHours(48));
        RetentionPlan p = RetentionPlan.decide(threeDays, NOW, b, List.of(), segments(1, 12), SEG);
        // the window starts 2026-11-27T12:00: the backup of the 25th is the newest that ended before it
        assertThat(p.retained()).containsExactly(b.get(1).id(), b.get(2).id(), b.get(3).id());
        assertThat(p.expired()).containsExactly(b.get(0).id());
        assertThat(p.walKeptFrom()).contains("000000010000000000000005");
    }

    @Test
    void countAndAgeTogetherKeepWhatEitherKeeps() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-11-01T00:00:00Z", 2), backup("2026-11-10T00:00:00Z", 5),
                backup("2026-11-29T00:00:00Z", 8), backup("2026-11-30T00:00:00Z", 11));
        Retention.Policy both = new Retention.Policy(Optional.of(3), Optional.of(Duration.ofDays(1)), Duration.ofHours(48));
        RetentionPlan p = RetentionPlan.decide(both, NOW, b, List.of(), List.of(), SEG);
        assertThat(p.retained()).containsExactly(b.get(1).id(), b.get(2).id(), b.get(3).id());
    }

    @Test
    void theNewestBackupIsAlwaysKept() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-10-01T00:00:00Z", 2), backup("2026-10-02T00:00:00Z", 5));
        Retention.Policy zeroDays = new Retention.Policy(Optional.empty(), Optional.of(Duration.ZERO), Duration.ofHours(48));
        RetentionPlan p = RetentionPlan.decide(zeroDays, NOW, b, List.of(), List.of(), SEG);
        assertThat(p.retained()).containsExactly(b.get(1).id());
        assertThat(p.expired()).containsExactly(b.get(0).id());
    }

    @Test
    void historyFilesAndWalOfOtherKindsAboveTheKeptSegmentStay() {
        List<RetentionPlan.Backup> b = List.of(backup("2026-11-29T00:00:00Z", 5));
        List<WalFileName> wal = List.of(WalFileName.parse("00000002.history"), WalFileName.parse("000000010000000000000003.partial"),
                WalFileName.parse("000000010000000000000004.00000028.backup"), WalFileName.parse("000000010000000000000005.00000028.backup"),
                WalFileName.parse("000000010000000000000006"));
        RetentionPlan p = RetentionPlan.decide(KEEP_2, NOW, b, List.of(), wal, SEG);
        assertThat(names(p.walRemoved())).containsExactly("000000010000000000000003.partial", "000000010000000000000004.00000028.backup");
    }

    @Test
    void withoutACompleteBackupNothingButAbandonedBackupsIsRemoved() {
        String abandoned = BackupManifest.idAt(NOW.minus(Duration.ofHours(49)));
        String running = BackupManifest.idAt(NOW.minus(Duration.ofHours(1)));
        RetentionPlan p = RetentionPlan.decide(KEEP_2, NOW, List.of(), List.of(running, abandoned, "lost+found"), segments(1, 9), SEG);
        assertThat(p.retained()).isEmpty();
        assertThat(p.expired()).isEmpty();
        assertThat(p.walRemoved()).isEmpty();
        assertThat(p.walKeptFrom()).isEmpty();
        assertThat(p.incomplete()).containsExactly(abandoned);
    }

    @Test
    void aCompleteBackupsDirectoryIsNeverTakenForAnAbandonedOne() {
        RetentionPlan.Backup old = backup("2026-11-01T00:00:00Z", 2);
        RetentionPlan p = RetentionPlan.decide(KEEP_2, NOW, List.of(old), List.of(old.id()), List.of(), SEG);
        assertThat(p.incomplete()).isEmpty();
        assertThat(p.retained()).containsExactly(old.id());
    }
}
