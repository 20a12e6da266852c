package io.walferry.backup;

import io.walferry.monitor.RepositoryState;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.StoredWal;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RepositoryHealthTest {
    private static final long SEG = 16L << 20;
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private static StoredWal seg(int tli, long n) {
        return new StoredWal(WalFileName.Segment.of(tli, n, SEG), 1000, T0.plusSeconds(n * 60));
    }

    private static RepositoryHealth.BackupSummary backup(String id, long startSegment, long stopMinute) {
        return new RepositoryHealth.BackupSummary(id, T0.plusSeconds(stopMinute * 60 - 30), T0.plusSeconds(stopMinute * 60), 5000,
                WalFileName.Segment.of(1, startSegment, SEG));
    }

    @Test
    void theWindowStartsAtTheOldestBackupWhoseWalReachesTheNewestSegmentWithoutAGap() {
        List<StoredWal> wal = new ArrayList<>();
        for (long n = 1; n <= 10; n++) {
            if (n != 4) {
                wal.add(seg(1, n));
            }
        }
        // a timeline switch is no gap
        wal.add(seg(2, 11));
        wal.add(new StoredWal(new WalFileName.History("00000002.history"), 100, T0));
        RepositoryState s = RepositoryHealth.of("r", T0, wal, List.of(backup("20250101T000100Z", 2, 3), backup("20250101T000500Z", 5, 6),
                backup("20250101T000800Z", 8, 9)), SEG);
        assertThat(s.segments()).isEqualTo(10);
        assertThat(s.storedBytes()).isEqualTo(10 * 1000 + 100);
        assertThat(s.walOldest()).contains(SEG);
        assertThat(s.walNewest()).contains(12 * SEG);
        assertThat(s.newestTimeline()).contains(2);
        assertThat(s.backups()).isEqualTo(3);
        assertThat(s.newestBackup().orElseThrow().id()).isEqualTo("20250101T000800Z");
        assertThat(s.newestBackup().orElseThrow().durationSeconds()).isEqualTo(30.0);
        // the first backup needs segment 4, which is missing
        assertThat(s.pitrFrom()).contains(T0.plusSeconds(6 * 60));
        assertThat(s.pitrTo()).contains(T0.plusSeconds(11 * 60));
        assertThat(s.newestSegment()).contains(WalFileName.Segment.of(2, 11, SEG).fileName());
        assertThat(s.backupHistory()).extracting(RepositoryState.Backup::pitr).containsExactly(false, true, true);
    }

    @Test
    void noBackupNoWindow() {
        RepositoryState s = RepositoryHealth.of("r", T0, List.of(seg(1, 1)), List.of(), SEG);
        assertThat(s.pitrFrom()).isEmpty();
        assertThat(s.pitrTo()).isEmpty();
        assertThat(s.newestBackup()).isEmpty();
    }
}
