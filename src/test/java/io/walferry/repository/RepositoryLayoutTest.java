package io.walferry.repository;

import io.walferry.postgres.WalFileName;
import io.walferry.repository.RepositoryLayout.BackupObject;
import io.walferry.repository.RepositoryLayout.SegmentGroup;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every key below a cluster's directory, as docs/repository-format.md lays them out. */
class RepositoryLayoutTest {
    @Test
    void walFilesLieInTheirGroup() {
        assertThat(RepositoryLayout.wal(WalFileName.parse("000000010000000A000000FE"))).isEqualTo("wal/000000010000000A/000000010000000A000000FE");
        assertThat(RepositoryLayout.wal(WalFileName.parse("000000010000000A000000FF.partial")))
                .isEqualTo("wal/000000010000000A/000000010000000A000000FF.partial");
        assertThat(RepositoryLayout.wal(WalFileName.parse("000000010000000A00000002.00000028.backup")))
                .isEqualTo("wal/000000010000000A/000000010000000A00000002.00000028.backup");
        assertThat(RepositoryLayout.wal(WalFileName.parse("00000002.history"))).isEqualTo("wal/history/00000002.history");
        assertThat(RepositoryLayout.REGISTRATION).isEqualTo("cluster.json");
    }

    @Test
    void aBackupsObjectsLieInItsDirectory() {
        String id = "20261122T090102Z";
        assertThat(RepositoryLayout.backup(id)).isEqualTo("backup/20261122T090102Z");
        assertThat(RepositoryLayout.backupObject(id, RepositoryLayout.MANIFEST)).isEqualTo("backup/20261122T090102Z/manifest");
        assertThat(RepositoryLayout.backupObject(id, RepositoryLayout.BACKUP_LABEL)).isEqualTo("backup/20261122T090102Z/backup_label");
        assertThat(RepositoryLayout.backupObject(id, RepositoryLayout.TABLESPACE_MAP)).isEqualTo("backup/20261122T090102Z/tablespace_map");
        assertThat(RepositoryLayout.chunk("base/1/1259", 0)).as("the first chunk is the file's path").isEqualTo("data/base/1/1259");
        assertThat(RepositoryLayout.chunk("base/1/1259", 2)).isEqualTo("data/base/1/1259@2");
        assertThat(RepositoryLayout.backupObject(id, RepositoryLayout.chunk("pg_tblspc/16390/PG_15/5/16391", 1)))
                .isEqualTo("backup/20261122T090102Z/data/pg_tblspc/16390/PG_15/5/16391@1");
        assertThat(RepositoryLayout.verifyRecord("20261122T090102.123Z")).isEqualTo("verify/20261122T090102.123Z");
    }

    @Test
    void aKeyBelowABackupNamesItsBackupAndObject() {
        String key = RepositoryLayout.backupObject("20261122T090102Z", RepositoryLayout.chunk("base/1/1259", 1));
        assertThat(BackupObject.of(key)).contains(new BackupObject("20261122T090102Z", "data/base/1/1259@1"));
        assertThat(BackupObject.of(key).orElseThrow().key()).isEqualTo(key);
        assertThat(BackupObject.of("backup/20261122T090102Z/manifest")).contains(new BackupObject("20261122T090102Z", "manifest"));
        for (String other : new String[]{"000000010000000A000000FE", "backup/20261122T090102Z", "backup//manifest", "backup/x/",
                "verify/20261122T090102.123Z", "wal/history/00000002.history"}) {
            assertThat(BackupObject.of(other)).as(other).isEmpty();
        }
    }

    @Test
    void segmentGroupsAreTimelineAndLogFile() {
        SegmentGroup g = SegmentGroup.of("0000000A000000FF").orElseThrow();
        assertThat(g.timeline()).isEqualTo(10);
        assertThat(g.logFile()).isEqualTo("000000FF");
        assertThat(g.name()).isEqualTo("0000000A000000FF");
        assertThat(SegmentGroup.of("FFFFFFFF00000000").orElseThrow().timeline()).as("unsigned, as PostgreSQL numbers them")
                .isEqualTo(0xFFFFFFFFL);
        assertThat(SegmentGroup.of(WalFileName.parse("000000030000000100000002").group())).isPresent();
        for (String other : new String[]{"history", "0000000a000000ff", "0000000A000000F", "0000000A000000FF0", ".tmp"}) {
            assertThat(SegmentGroup.of(other)).as(other).isEmpty();
        }
    }
}
