package io.walferry.backup;

import io.walferry.config.Compression;
import io.walferry.failure.WalferryException;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.storage.FsStorage;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Restores of hand-made manifests from a real (filesystem) repository, as someone who can write to the bucket
 * would make them: none writes, deletes or links anything outside the target directory and the tablespace
 * directories the user confirmed.
 */
class MaliciousManifestTest {
    private static final String ID = "20260101T000000Z";
    private static final long CHUNK = 4096;

    @TempDir
    Path tmp;
    private Path outside;
    private Path target;
    private Repository repo;

    @BeforeEach
    void setUp() throws IOException {
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep me");
        target = tmp.resolve("target");
        repo = new Repository("r", new FsStorage(Files.createDirectories(tmp.resolve("repo"))), "main");
        put("backup_label", "START WAL LOCATION: 0/1000028 (file 000000010000000000000001)\n".getBytes(StandardCharsets.UTF_8));
    }

    /** Stores an object of the backup, in place of the one a previous case stored there. */
    private ObjectHeader put(String name, byte[] content) {
        if (Files.exists(tmp.resolve("repo/main/backup/" + ID).resolve(name).normalize())) {
            repo.delete("backup/" + ID + "/" + name);
        }
        return repo.putNew("backup/" + ID + "/" + name, new ByteArrayInputStream(content), Compression.NONE, EncodeGate.NONE);
    }

    /** Stores a chunk for {@code path} (where a repository can hold one of that name) and returns its manifest entry. */
    private BackupManifest.FileEntry file(String path, byte[] content) {
        String checksum;
        try {
            checksum = put("data/" + path, content).checksumText();
        } catch (RuntimeException e) {
            checksum = "xxh64:0000000000000000"; // a name no repository can hold (NUL, empty): the restore must refuse it before it looks
        }
        return new BackupManifest.FileEntry(path, content.length, List.of(checksum));
    }

    private BackupManifest manifest(List<String> dirs, List<DataDirectoryScan.Tablespace> tablespaces, List<BackupManifest.FileEntry> files) {
        List<BackupManifest.FileEntry> all = new ArrayList<>(files);
        all.add(file("global/pg_control", new byte[100]));
        return new BackupManifest(1, ID, "main", "1", 150000, 1, "0/1000028", "0/1000138", "000000010000000000000001",
                "000000010000000000000001", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", false, "pg1", "none", CHUNK,
                dirs, tablespaces, all);
    }

    /** Stores {@code m} as the backup's manifest and restores the backup as `walferry restore` does. */
    private void restore(BackupManifest m, TablespacePlacement placement) {
        restore(m.toJson(), placement);
    }

    private void restore(byte[] manifestJson, TablespacePlacement placement) {
        put("manifest", manifestJson);
        BackupManifest chosen = new BackupCatalog(repo).pick(null);
        new BackupRestore(repo, chosen, new BackupRestore.Options(2, RecoveryTarget.none(), false, "true", false, placement, List.of()),
                (done, total) -> { }).run(target);
    }

    /** Everything below tmp that is not in the target or the repository, as paths (links not followed). */
    private List<String> outsideTheTarget() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            return s.filter(p -> !p.startsWith(target) && !p.startsWith(tmp.resolve("repo"))).map(p -> tmp.relativize(p).toString()).sorted().toList();
        }
    }

    private void assertRefusedAndNothingOutside(BackupManifest m, TablespacePlacement placement, String message) throws IOException {
        List<String> before = outsideTheTarget();
        assertThatThrownBy(() -> restore(m, placement)).isInstanceOf(WalferryException.class).hasMessageContaining(message);
        assertThat(outsideTheTarget()).isEqualTo(before);
        assertThat(Files.readString(outside.resolve("precious"))).isEqualTo("keep me");
    }

    @Test
    void filePathsThatLeaveTheTargetAreRefused() throws IOException {
        for (String path : List.of("../outside/pwned", "base/../../outside/pwned", tmp.resolve("outside/pwned").toString(),
                "base//x", "./base/x", "base/x\u0000y", "base/x\nPG_VERSION", "")) {
            assertRefusedAndNothingOutside(manifest(List.of("base"), List.of(), List.of(file(path, "evil".getBytes()))),
                    TablespacePlacement.NONE, "refused");
        }
    }

    @Test
    void directoriesThatLeaveTheTargetAreRefused() throws IOException {
        for (String dir : List.of("../outside/newdir", tmp.resolve("outside/newdir").toString(), "base/..", "pg_tblspc/1/../../../outside")) {
            assertRefusedAndNothingOutside(manifest(List.of(dir), List.of(), List.of()), TablespacePlacement.NONE, "refused");
        }
    }

    @Test
    void aTablespaceOidThatIsNoNumberIsRefused() throws IOException {
        // The link pg_tblspc/<oid> was deleted and made from the oid as given: "../base" put a link to anywhere in
        // the place of a directory whose files are written next.
        Path evil = Files.createDirectories(tmp.resolve("evil-ts"));
        for (String oid : List.of("../base", "../../outside", "base", "0", "-1", "99999999999", "16390 /etc")) {
            BackupManifest m = manifest(List.of("base"), List.of(new DataDirectoryScan.Tablespace(oid, evil.toString())),
                    List.of(file("base/1259", "evil".getBytes())));
            assertRefusedAndNothingOutside(m, new TablespacePlacement(Map.of(), true), "refused");
        }
        assertThat(evil).isEmptyDirectory();
    }

    @Test
    void aTablespaceGoesOnlyWhereTheUserConfirmedIt() throws IOException {
        Path recorded = tmp.resolve("outside/ts");
        BackupManifest m = manifest(List.of("base", "pg_tblspc", "pg_tblspc/16390/", "pg_tblspc/16390/PG_15"),
                List.of(new DataDirectoryScan.Tablespace("16390", recorded.toString())),
                List.of(file("pg_tblspc/16390/PG_15/5/16384", "table".getBytes())));
        assertRefusedAndNothingOutside(m, TablespacePlacement.NONE, "no place was confirmed for 16390");
        assertRefusedAndNothingOutside(m, new TablespacePlacement(Map.of("16391", tmp.resolve("ts").toString()), true), "no tablespace 16391");
        assertRefusedAndNothingOutside(m, new TablespacePlacement(Map.of("16390", target.resolve("base").toString()), false), "inside the target");
        assertRefusedAndNothingOutside(m, new TablespacePlacement(Map.of("16390", "/"), false), "absolute");

        Path chosen = tmp.resolve("ts-chosen");
        restore(m, new TablespacePlacement(Map.of("16390", chosen.toString()), false));
        assertThat(Files.readString(chosen.resolve("PG_15/5/16384"))).isEqualTo("table");
        assertThat(Files.readSymbolicLink(target.resolve("pg_tblspc/16390"))).isEqualTo(chosen);
        assertThat(Files.readString(target.resolve("tablespace_map"))).isEqualTo("16390 " + chosen + "\n");
        assertThat(recorded).doesNotExist();
    }

    @Test
    void recordedTablespaceLocationsMustBeAbsoluteAndNormalized() throws IOException {
        for (String location : List.of("relative/ts", tmp + "/outside/../outside/ts", "/", tmp + "/ts\nx")) {
            BackupManifest m = manifest(List.of(), List.of(new DataDirectoryScan.Tablespace("16390", location)), List.of());
            assertRefusedAndNothingOutside(m, new TablespacePlacement(Map.of(), true), "refused");
        }
    }

    @Test
    void aChunkLargerThanTheChunkSizeIsRefused() throws IOException {
        // A chunk is written at its index times chunk_size: a larger one would run over the next one, or grow a file
        // without bound.
        byte[] big = new byte[(int) CHUNK * 3];
        BackupManifest m = manifest(List.of("base"), List.of(), List.of(file("base/1259", big)));
        BackupManifest lying = new BackupManifest(m.formatVersion(), m.id(), m.cluster(), m.systemIdentifier(), m.pgVersionNum(), m.timeline(),
                m.startLsn(), m.stopLsn(), m.startWal(), m.stopWal(), m.startTime(), m.stopTime(), m.fromStandby(), m.node(), m.compression(),
                m.chunkSize(), m.directories(), m.tablespaces(),
                m.files().stream().map(f -> new BackupManifest.FileEntry(f.path(), Math.min(f.size(), CHUNK), f.chunkChecksums())).toList());
        assertRefusedAndNothingOutside(lying, TablespacePlacement.NONE, "more than " + CHUNK);
        assertThat(target.resolve("base/1259")).doesNotExist();
    }

    @Test
    void sizesAndCountsOutOfBoundsAreRefusedBeforeAnythingIsWritten() throws IOException {
        BackupManifest ok = manifest(List.of("base"), List.of(), List.of(file("base/1259", new byte[11])));
        for (UnaryOperator<String> edit : List.<UnaryOperator<String>>of(
                j -> j.replace("\"chunk_size\" : 4096", "\"chunk_size\" : 0"),
                j -> j.replace("\"chunk_size\" : 4096", "\"chunk_size\" : -4096"),
                j -> j.replace("\"chunk_size\" : 4096", "\"chunk_size\" : 9223372036854775807"),
                j -> j.replace("\"size\" : 11,", "\"size\" : 4097,"),
                j -> j.replace("\"size\" : 11,", "\"size\" : -1,"),
                j -> j.replace("\"id\" : \"" + ID + "\"", "\"id\" : \"../../other\""))) {
            List<String> before = outsideTheTarget();
            assertThatThrownBy(() -> restore(edit.apply(new String(ok.toJson(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8),
                    TablespacePlacement.NONE)).isInstanceOf(WalferryException.class).hasMessageContaining("refused");
            assertThat(outsideTheTarget()).isEqualTo(before);
            assertThat(target).doesNotExist();
        }
    }

    @Test
    void aSymbolicLinkPlantedInTheTargetIsNotWrittenThrough() throws IOException {
        Files.createDirectories(target);
        Files.createSymbolicLink(target.resolve("base"), outside);
        RestoreTree tree = new RestoreTree(target, Map.of());
        assertThatThrownBy(() -> tree.file("base/1/1259")).hasMessageContaining("in the way");
        assertThatThrownBy(() -> tree.directory("base")).hasMessageContaining("in the way");
        assertThat(outside.resolve("1")).doesNotExist();
        assertThat(Files.isSymbolicLink(target.resolve("base"))).isTrue();
    }

    @Test
    void anHonestManifestRestores() throws IOException {
        byte[] rel = new byte[(int) (2 * CHUNK + 7)];
        rel[0] = 1;
        rel[rel.length - 1] = 2;
        List<String> chunks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] part = java.util.Arrays.copyOfRange(rel, (int) (i * CHUNK), (int) Math.min(rel.length, (i + 1) * CHUNK));
            chunks.add(put(RepositoryLayout.chunk("base/1/1259", i), part).checksumText());
        }
        restore(manifest(List.of("base", "base/1", "global", "pg_wal"), List.of(),
                List.of(new BackupManifest.FileEntry("base/1/1259", rel.length, chunks), file("PG_VERSION", "15\n".getBytes()))),
                TablespacePlacement.NONE);
        assertThat(Files.readAllBytes(target.resolve("base/1/1259"))).isEqualTo(rel);
        assertThat(Files.readString(target.resolve("PG_VERSION"))).isEqualTo("15\n");
        assertThat(Files.isDirectory(target.resolve("pg_wal"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(target.resolve("recovery.signal")).exists();
    }
}
