package io.walferry.backup;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.EncryptionConfig;
import io.walferry.config.Secret;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.storage.FsStorage;
import io.walferry.repository.PutOutcome;
import io.walferry.repository.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An encrypted repository written by walferry 0.1.0 (object format 1, src/test/resources/fixtures): its WAL and its
 * backup are still read, verified and compared with, and new objects go in beside them in format 2.
 */
class FormatOneRepositoryTest {
    private static final String KEY = "0+STWxI4QW1Zr9N45k7d1E9hkHXe6wOCa2Zfhr78UJgU1/ZwoE2jmN1NquwAUj/0";
    private static final WalFileName SEGMENT = WalFileName.parse("000000010000000000000001");

    @TempDir
    Path tmp;
    private Repository repo;

    /** The contents the fixture was made of. */
    static byte[] content(String seed, int size) {
        StringBuilder b = new StringBuilder();
        Random r = new Random(seed.hashCode());
        while (b.length() < size) {
            b.append(seed).append(' ').append(r.nextInt(1000)).append('\n');
        }
        return b.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    @BeforeEach
    void copyTheFixture() throws Exception {
        Path from = Path.of(getClass().getResource("/fixtures/v1-encrypted-repository").toURI());
        Path root = tmp.resolve("repo");
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, root.resolve(from.relativize(p).toString()));
            }
        }
        repo = new Repository("old", new FsStorage(root), "main", Optional.of(new EncryptionConfig(new Secret(KEY, "inline"))));
    }

    @Test
    void itsWalIsReadAndComparedWith() throws IOException {
        byte[] wal = content("wal", 100_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(repo.getWal(SEGMENT, out)).isTrue();
        assertThat(out.toByteArray()).isEqualTo(wal);
        Path same = Files.write(tmp.resolve("same"), wal);
        assertThat(repo.putWal(SEGMENT, same, Compression.defaultFor(CompressionType.LZ4)).outcome()).isEqualTo(PutOutcome.ALREADY_STORED);
        wal[5000] ^= 1;
        Path other = Files.write(tmp.resolve("other"), wal);
        assertThatThrownBy(() -> repo.putWal(SEGMENT, other, Compression.defaultFor(CompressionType.LZ4)))
                .isInstanceOf(WalferryException.class).hasMessageContaining("different content");
    }

    @Test
    void aNewSegmentBesideItIsFormatTwoAndComparedByItsContentMac() throws IOException {
        WalFileName next = WalFileName.parse("000000010000000000000002");
        byte[] wal = content("next", 70_000);
        Path file = Files.write(tmp.resolve("next"), wal);
        assertThat(repo.putWal(next, file, Compression.defaultFor(CompressionType.ZSTD)).outcome()).isEqualTo(PutOutcome.STORED);
        byte[] stored = Files.readAllBytes(tmp.resolve("repo/main/wal/0000000100000000/000000010000000000000002"));
        assertThat(stored[5]).as("format version").isEqualTo((byte) 2);
        assertThat(repo.putWal(next, file, Compression.defaultFor(CompressionType.LZ4)).outcome()).isEqualTo(PutOutcome.ALREADY_STORED);
        wal[0] ^= 1;
        Path other = Files.write(tmp.resolve("other"), wal);
        assertThatThrownBy(() -> repo.putWal(next, other, Compression.defaultFor(CompressionType.LZ4)))
                .isInstanceOf(WalferryException.class).hasMessageContaining("different content").hasMessageContaining("hmac-sha256:");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(repo.getWal(next, out)).isTrue();
        wal[0] ^= 1;
        assertThat(out.toByteArray()).isEqualTo(wal);
    }

    @Test
    void itsBackupRestores() throws IOException {
        BackupManifest m = new BackupCatalog(repo).pick(null);
        Path target = tmp.resolve("restored");
        new BackupRestore(repo, m, new BackupRestore.Options(2, RecoveryTarget.none(), false, "true", false, TablespacePlacement.NONE,
                List.of()), (done, total) -> { }).run(target);
        assertThat(Files.readAllBytes(target.resolve("global/pg_control"))).isEqualTo(content("global/pg_control", 8192));
        assertThat(Files.readAllBytes(target.resolve("base/1/1259"))).isEqualTo(content("base/1/1259", 20000));
        assertThat(Files.readAllBytes(target.resolve("PG_VERSION"))).isEqualTo(content("PG_VERSION", 3));
        assertThat(Files.readString(target.resolve("backup_label"))).contains("START TIMELINE: 1");
    }
}
