package io.walferry.repository;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.storage.FsStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Streamed pieces of a segment stored as objects of their own (S3, and a filesystem repository written by an older walferry):
 * immutable, verified, read back as the contiguous prefix from byte 0. Piece files: {@link PieceFileTest}.
 */
class StreamPieceTest {
    private static final long SEGMENT = 1 << 20;
    private static final WalFileName.Segment SEG = new WalFileName.Segment("000000010000000000000003");
    private static final Compression LZ4 = new Compression(CompressionType.LZ4, 0);

    @TempDir
    Path root;
    private Repository repo;
    private final byte[] wal = new byte[(int) SEGMENT];

    @BeforeEach
    void setUp() {
        repo = new Repository("local", new PiecesAsObjects(new FsStorage(root)), "c");
        repo.register(ClusterRecord.of("c", new ClusterIdentity(1, new PgVersion(15), SEGMENT), "now", "test"));
        new Random(7).nextBytes(wal);
    }

    private byte[] prefix() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = repo.streamPrefix(SEG, out, SEGMENT);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    @Test
    void piecesReadBackAsTheContiguousPrefix() {
        assertThat(prefix()).isEmpty();
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(repo.putStreamPiece(SEG, 1000, wal, 1000, 5000, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(Files.exists(root.resolve("c/stream/000000010000000000000003/000003E8"))).isTrue();
        assertThat(prefix()).isEqualTo(Arrays.copyOf(wal, 6000));

        // a piece past a gap is not part of the prefix
        repo.putStreamPiece(SEG, 9000, wal, 9000, 100, LZ4);
        assertThat(prefix()).hasSize(6000);
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L, 1000L, 9000L);
        assertThat(repo.streamedSegments()).containsExactly(SEG);

        repo.deleteStreamPieces(SEG);
        assertThat(prefix()).isEmpty();
        assertThat(repo.streamedSegments()).isEmpty();
    }

    @Test
    void piecesStoredPastOneThatFailedAreRemovedSoThatTheNextStreamDoesNotMeetThem() {
        // several pieces in flight: 1000..3000 failed, 3000..5000 was stored after it
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        repo.putStreamPiece(SEG, 3000, wal, 3000, 2000, LZ4);
        assertThat(prefix()).hasSize(1000);
        assertThat(repo.deleteStreamPiecesAfter(SEG, 1000)).isEqualTo(1);
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L);
        assertThat(repo.deleteStreamPiecesAfter(SEG, 1000)).isZero();
        // the next session's pieces may end and start where the removed ones did, with other lengths
        repo.putStreamPiece(SEG, 1000, wal, 1000, 2000, LZ4);
        assertThat(repo.putStreamPiece(SEG, 3000, wal, 3000, 2500, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(prefix()).isEqualTo(Arrays.copyOf(wal, 5500));
    }

    @Test
    void theSameBytesAgainAreStoredAlreadyOtherBytesAreRefusedAndKept() {
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);

        assertThatThrownBy(() -> repo.putStreamPiece(SEG, 0, wal, 0, 1200, LZ4)).isInstanceOf(WalferryException.class)
                .satisfies(e -> assertThat(((WalferryException) e).kind()).isEqualTo(Failure.CONFLICT))
                .hasMessageContaining("already holds").hasMessageContaining("with other bytes");
        byte[] other = wal.clone();
        other[10] ^= 1;
        assertThatThrownBy(() -> repo.putStreamPiece(SEG, 0, other, 0, 1000, LZ4)).hasMessageContaining("the stored piece was kept");
        assertThat(prefix()).isEqualTo(Arrays.copyOf(wal, 1000));
    }

    @Test
    void anEncryptedPieceIsBoundToItsPlace() throws Exception {
        Path encryptedRoot = Files.createDirectories(root.resolve("enc"));
        java.util.Optional<io.walferry.config.EncryptionConfig> key = java.util.Optional.of(new io.walferry.config.EncryptionConfig(
                new io.walferry.config.Secret("sCsfz9rTpsNvrCTyDEH3Ep+pNwb1hrB0kmqVhLs165hlBYyao20RiJyMsD/Yexi6", "test")));
        Repository enc = new Repository("enc", new PiecesAsObjects(new FsStorage(encryptedRoot)), "c", key);
        enc.register(ClusterRecord.of("c", new ClusterIdentity(1, new PgVersion(15), SEGMENT), "now", "test"));
        enc.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        enc.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(enc.streamPrefix(SEG, out, SEGMENT)).isEqualTo(2000);
        assertThat(out.toByteArray()).isEqualTo(Arrays.copyOf(wal, 2000));
        assertThat(enc.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);

        // a piece copied to another offset does not authenticate there
        Path dir = encryptedRoot.resolve("c/stream/000000010000000000000003");
        Files.delete(dir.resolve("000003E8"));
        Files.copy(dir.resolve("00000000"), dir.resolve("000003E8"));
        assertThatThrownBy(() -> enc.streamPrefix(SEG, new ByteArrayOutputStream(), SEGMENT)).isInstanceOf(CorruptObjectException.class);
    }

    @Test
    void aDamagedPieceIsReportedNeverHandedOver() throws Exception {
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, new Compression(CompressionType.NONE, 0));
        Path piece = root.resolve("c/stream/000000010000000000000003/00000000");
        byte[] stored = Files.readAllBytes(piece);
        stored[stored.length - 1] ^= 1;
        piece.toFile().setWritable(true);
        Files.write(piece, stored);
        assertThatThrownBy(this::prefix).isInstanceOf(CorruptObjectException.class);
    }
}
