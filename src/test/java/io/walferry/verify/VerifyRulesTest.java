package io.walferry.verify;

import io.walferry.backup.BackupManifest;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class VerifyRulesTest {
    private static final long SEG = 16 << 20;
    private static final String ID = "20261122T090102Z";
    private static final String A = "xxh64:00000000000000aa";
    private static final String B = "xxh64:00000000000000bb";

    private static WalFileName.Segment seg(int tli, long n) {
        return WalFileName.Segment.of(tli, n, SEG);
    }

    /** Segments from..to of a timeline, all good. */
    private static Map<WalFileName, ObjectCheck> wal(int tli, long from, long to) {
        Map<WalFileName, ObjectCheck> m = new HashMap<>();
        for (long n = from; n <= to; n++) {
            m.put(seg(tli, n), ObjectCheck.good("xxh64:1"));
        }
        return m;
    }

    /** A backup on timeline 1 from segment 3 to 6, of one file in two chunks. */
    private static BackupManifest manifest(int tli, long from, long to) {
        return new BackupManifest(1, ID, "main", "1", 150000, tli, "0/3000028", "0/6000100", seg(tli, from).fileName(),
                seg(tli, to).fileName(), "2026-11-22T09:01:02Z", "2026-11-22T09:01:09Z", false, "pg1", "lz4", 1 << 20, List.of(),
                List.of(), List.of(new BackupManifest.FileEntry("base/1/1259", 1_500_000, List.of(A, B))));
    }

    private static Map<String, ObjectCheck> intactObjects() {
        return Map.of("data/base/1/1259", ObjectCheck.good(A), "data/base/1/1259@1", ObjectCheck.good(B),
                "backup_label", ObjectCheck.good("xxh64:2"), "tablespace_map", ObjectCheck.good("xxh64:3"));
    }

    private static BackupScan backup(Map<String, ObjectCheck> objects) {
        return new BackupScan(ID, ObjectCheck.good("xxh64:4"), Optional.of(manifest(1, 3, 6)), objects);
    }

    private static RepositoryResult judge(Map<WalFileName, ObjectCheck> wal, Map<Integer, TimelineHistory> histories, BackupScan... backups) {
        return VerifyRules.judge(new RepositoryScan("copy", false, SEG, wal, histories, List.of(backups), 0, List.of()));
    }

    @Test
    void badStreamedPiecesAreFindingsThatNoBackupNeeds() {
        RepositoryResult r = VerifyRules.judge(new RepositoryScan("copy", false, SEG, wal(1, 1, 9), Map.of(), List.of(), 0, List.of(),
                Map.of("stream/00000001000000000000000A/00000000", ObjectCheck.good("xxh64:5"),
                        "stream/000000010000000000000009/00002000", ObjectCheck.corrupt("holds other bytes than the whole segment"))));
        assertThat(r.findings()).containsExactly(new Finding(Finding.Kind.CORRUPT, "copy", "stream/000000010000000000000009/00002000",
                "holds other bytes than the whole segment", List.of()));
    }

    @Test
    void anIntactRepositoryHasNoFindingAndItsBackupIsOk() {
        RepositoryResult r = judge(wal(1, 1, 9), Map.of(), backup(intactObjects()));
        assertThat(r.findings()).isEmpty();
        assertThat(r.backups()).containsExactly(new BackupStatus(ID, List.of()));
    }

    @Test
    void aCorruptSegmentInABackupsRangeIsReportedAgainstTheBackup() {
        Map<WalFileName, ObjectCheck> wal = wal(1, 1, 9);
        wal.put(seg(1, 4), ObjectCheck.corrupt("payload does not match its CRC-32C: the stored bytes were altered"));
        wal.put(seg(1, 8), ObjectCheck.corrupt("has a damaged header (CRC-32C mismatch)"));
        RepositoryResult r = judge(wal, Map.of(), backup(intactObjects()));
        assertThat(r.findings()).containsExactly(
                new Finding(Finding.Kind.CORRUPT, "copy", seg(1, 4).fileName(), "payload does not match its CRC-32C: the stored bytes were altered",
                        List.of(ID)),
                new Finding(Finding.Kind.CORRUPT, "copy", seg(1, 8).fileName(), "has a damaged header (CRC-32C mismatch)", List.of()));
        assertThat(r.backups().get(0).problems()).containsExactly(seg(1, 4).fileName());
    }

    @Test
    void aSegmentMissingFromTheRangeIsAGapThatMarksTheBackup() {
        Map<WalFileName, ObjectCheck> wal = wal(1, 1, 9);
        wal.remove(seg(1, 5));
        wal.remove(seg(1, 6));
        RepositoryResult r = judge(wal, Map.of(), backup(intactObjects()));
        assertThat(r.findings()).containsExactly(new Finding(Finding.Kind.GAP, "copy", seg(1, 5).fileName() + ".." + seg(1, 6).fileName(),
                "2 segments of timeline 1 missing: a recovery cannot replay past them", List.of(ID)));
        assertThat(r.backups().get(0).problems()).containsExactly(seg(1, 5).fileName(), seg(1, 6).fileName());

        // the end of the range not archived (or lost) is a gap too, though nothing follows it
        RepositoryResult end = judge(wal(1, 1, 5), Map.of(), backup(intactObjects()));
        assertThat(end.findings()).extracting(Finding::kind, Finding::object).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.GAP, seg(1, 6).fileName()));
    }

    @Test
    void chunksAreCheckedAgainstTheManifestAndTheLabelMustBeThere() {
        Map<String, ObjectCheck> objects = new HashMap<>(intactObjects());
        objects.put("data/base/1/1259", ObjectCheck.good(B)); // a valid object, but another one
        objects.remove("data/base/1/1259@1");
        objects.remove("backup_label");
        objects.put("tablespace_map", ObjectCheck.unreadable("cannot read: Input/output error"));
        RepositoryResult r = judge(wal(1, 1, 9), Map.of(), backup(objects));
        String dir = "backup/" + ID + "/";
        assertThat(r.findings()).extracting(Finding::kind, Finding::object).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.MISSING, dir + "backup_label"),
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.CORRUPT, dir + "data/base/1/1259"),
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.MISSING, dir + "data/base/1/1259@1"),
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.UNREADABLE, dir + "tablespace_map"));
        assertThat(r.findings().get(1).detail()).isEqualTo("is not the object the manifest records (" + B + ", expected " + A + ")");
        assertThat(r.findings()).allSatisfy(f -> assertThat(f.backups()).containsExactly(ID));
        assertThat(r.backups().get(0).problems()).containsExactly(dir + "backup_label", dir + "data/base/1/1259", dir + "data/base/1/1259@1");
    }

    @Test
    void aManifestThatCannotBeReadIsAFindingAndTheBackupIsDamaged() {
        BackupScan b = new BackupScan(ID, ObjectCheck.unreadable("cannot be parsed (x): this walferry may be older than the one that wrote it"),
                Optional.empty(), Map.of("data/base/1/1259", ObjectCheck.corrupt("payload is 10 bytes, the header says 20: truncated")));
        RepositoryResult r = judge(wal(1, 1, 9), Map.of(), b);
        assertThat(r.findings()).extracting(Finding::kind, Finding::object).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.CORRUPT, "backup/" + ID + "/data/base/1/1259"),
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.UNREADABLE, "backup/" + ID + "/manifest"));
        assertThat(r.backups()).containsExactly(new BackupStatus(ID, List.of("backup/" + ID + "/manifest")));
    }

    @Test
    void aTimelineWithoutItsHistoryFileIsReportedAndABackupOnItNeedsIt() {
        Map<WalFileName, ObjectCheck> wal = wal(1, 1, 4);
        wal.putAll(wal(2, 4, 8));
        BackupScan onTwo = new BackupScan(ID, ObjectCheck.good("xxh64:4"), Optional.of(manifest(2, 5, 6)), intactObjects());
        RepositoryResult r = judge(wal, Map.of(), onTwo);
        assertThat(r.findings()).containsExactly(new Finding(Finding.Kind.MISSING, "copy", "00000002.history",
                "timeline 2 has WAL but no history file: a recovery cannot follow it onto this timeline", List.of(ID)));
        assertThat(r.backups().get(0).problems()).containsExactly("00000002.history");

        wal.put(WalFileName.parse("00000002.history"), ObjectCheck.good("xxh64:5"));
        TimelineHistory h = new TimelineHistory(2, List.of(new TimelineHistory.Entry(1, Lsn.parse("0/4000060"))));
        RepositoryResult withHistory = judge(wal, Map.of(2, h), onTwo);
        assertThat(withHistory.findings()).isEmpty();
        assertThat(withHistory.backups().get(0).ok()).isTrue();
    }

    @Test
    void auxObjectsThatAreBadOrThatAManifestNamesButAreNotStoredAreFindings() {
        String manifest = "aux/models/manifests/20261122T090102.123Z";
        String good = "aux/models/objects/" + "a".repeat(64);
        String bad = "aux/models/objects/" + "b".repeat(64);
        String gone = "aux/models/objects/" + "c".repeat(64);
        AuxDirectoryScan aux = new AuxDirectoryScan("models", Map.of(manifest, ObjectCheck.good("xxh64:5")),
                Map.of(good, ObjectCheck.good("xxh64:6"), bad, ObjectCheck.corrupt("payload CRC mismatch")),
                Map.of(good, List.of("20261122T090102.123Z"), gone, List.of("20261122T090102.123Z")));
        RepositoryResult r = VerifyRules.judge(new RepositoryScan("copy", false, SEG, wal(1, 1, 9), Map.of(), List.of(), 0, List.of(aux)));
        assertThat(r.findings()).extracting(Finding::kind, Finding::object).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Finding.Kind.CORRUPT, bad), org.assertj.core.groups.Tuple.tuple(Finding.Kind.MISSING, gone));
        assertThat(r.findings().get(1).detail()).contains("manifest 20261122T090102.123Z lists it");
        assertThat(r.auxObjects()).isEqualTo(3);
        assertThat(r.ok()).isFalse();
    }
}
