package io.walferry.repository;

import io.walferry.repository.storage.FsStorage;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.EncryptionConfig;
import io.walferry.config.Secret;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A key weaker than 32 random bytes: still usable for a repository an earlier walferry created with it, never for a new one. */
class LegacyWeakKeyTest {
    private static final Secret WEAK = new Secret("vq3Z0x8l4Rk2mWc9tYb7NfH1sJd6PaE5uGo0iQ=", "env:K");
    private static final ClusterRecord RECORD = ClusterRecord.of("main", new ClusterIdentity(1, new PgVersion(15), 16 << 20), "now", "test");

    @TempDir
    Path tmp;

    @Test
    void anExistingRepositoryStaysUsableAndNoNewOneIsCreated() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("old"));
        // as walferry 0.1.0 made it, which took any key of 32 characters
        new Repository("old", new FsStorage(root), "main", Optional.of(new EncryptionConfig(WEAK, false))).register(RECORD);
        Repository old = new Repository("old", new FsStorage(root), "main", Optional.of(new EncryptionConfig(WEAK, true)));
        Path wal = Files.write(tmp.resolve("wal"), new byte[8192]);
        WalFileName name = WalFileName.parse("000000010000000000000001");
        assertThat(old.register(RECORD).encryption().keyFingerprint()).isNotNull();
        assertThat(old.putWal(name, wal, Compression.defaultFor(CompressionType.LZ4)).outcome()).isEqualTo(PutOutcome.STORED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(old.getWal(name, out)).isTrue();
        assertThat(out.toByteArray()).hasSize(8192);

        Repository fresh = new Repository("new", new FsStorage(Files.createDirectories(tmp.resolve("new"))), "main",
                Optional.of(new EncryptionConfig(WEAK, true)));
        assertThatThrownBy(() -> fresh.register(RECORD)).isInstanceOf(WalferryException.class)
                .satisfies(e -> assertThat(((WalferryException) e).kind()).isEqualTo(Failure.CONFIG))
                .hasMessageContaining("never created with a weak key").hasMessageContaining("env:K").hasMessageNotContaining(WEAK.reveal());
        assertThat(tmp.resolve("new/main/cluster.json")).doesNotExist();
    }
}
