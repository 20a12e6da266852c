package io.walferry.repository;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.EncryptionConfig;
import io.walferry.config.Secret;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.format.PieceFrames;
import io.walferry.repository.storage.FsStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A filesystem repository appends a segment's streamed pieces to one file, as frames (docs/repository-format.md, "Appended pieces"). */
class PieceFileTest {
    private static final long SEGMENT = 1 << 20;
    private static final WalFileName.Segment SEG = new WalFileName.Segment("000000010000000000000005");
    private static final Compression LZ4 = new Compression(CompressionType.LZ4, 0);
    private static final Compression NONE = new Compression(CompressionType.NONE, 0);

    @TempDir
    Path root;
    private Repository repo;
    private Path dir;
    private final byte[] wal = new byte[(int) SEGMENT];

    @BeforeEach
    void setUp() {
        repo = repository(root, Optional.empty());
        dir = root.resolve("c/stream/" + SEG.fileName());
        new Random(11).nextBytes(wal);
    }

    private static Repository repository(Path at, Optional<EncryptionConfig> key) {
        Repository r = new Repository("local", new FsStorage(at), "c", key);
        r.register(ClusterRecord.of("c", new ClusterIdentity(1, new PgVersion(15), SEGMENT), "now", "test"));
        return r;
    }

    private byte[] prefix(Repository r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = r.streamPrefix(SEG, out, SEGMENT);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    private Path file() {
        return dir.resolve("pieces");
    }

    /** Rewrites the piece file's bytes, as damage or a crash would. */
    private void rewrite(byte[] bytes) throws Exception {
        Files.write(file(), bytes);
    }

    @Test
    void piecesGoToOneFileAndReadBackAsThePrefix() throws Exception {
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(repo.putStreamPiece(SEG, 1000, wal, 1000, 5000, LZ4)).isEqualTo(PutOutcome.STORED);
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactly("pieces");
        }
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 6000));
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L, 1000L);
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        assertThat(repo.streamPiece(SEG, 1000, second, SEGMENT)).isPresent();
        assertThat(second.toByteArray()).isEqualTo(Arrays.copyOfRange(wal, 1000, 6000));
        assertThat(repo.streamPiece(SEG, 500, new ByteArrayOutputStream(), SEGMENT)).isEmpty();

        repo.deleteStreamPieces(SEG);
        assertThat(prefix(repo)).isEmpty();
        assertThat(repo.streamedSegments()).isEmpty();
        // the writer was closed with the file: a new file starts again at offset 0
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 100, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 100));
    }

    @Test
    void aFileDeletedByAnotherProcessIsNotAppendedTo() throws Exception {
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        // expire, or another agent's session, deleted it: the segment was stored whole
        Files.delete(file());
        assertThat(prefix(repo)).isEmpty();
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 2000, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(file()).exists();
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 2000));
    }

    @Test
    void piecesStoredAtOnceAreAppendedInOffsetOrder() throws Exception {
        // the later piece starts first: it waits for the one before it, which is in flight too (a thread each, as the agent's)
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<PutOutcome> later = threads.submit(() -> repo.putStreamPiece(SEG, 3000, wal, 3000, 2000, LZ4));
            Future<PutOutcome> middle = threads.submit(() -> repo.putStreamPiece(SEG, 1000, wal, 1000, 2000, LZ4));
            assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.STORED);
            assertThat(middle.get()).isEqualTo(PutOutcome.STORED);
            assertThat(later.get()).isEqualTo(PutOutcome.STORED);
        } finally {
            threads.shutdown();
        }
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 5000));
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L, 1000L, 3000L);
    }

    @Test
    void aTornTailIsNoErrorAndIsCutOffBeforeTheNextPiece() throws Exception {
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, NONE);
        repo.putStreamPiece(SEG, 1000, wal, 1000, 2000, NONE);
        byte[] whole = Files.readAllBytes(file());
        int firstFrame = PieceFrames.HEADER + 72 + 1000;
        // a third frame that was being written when the agent was killed: half of one is there
        byte[] torn = Arrays.copyOf(whole, whole.length + 700);
        System.arraycopy(whole, firstFrame, torn, whole.length, 700);
        rewrite(torn);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 3000));
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L, 1000L);

        // the next session: its prefix ends at 3000, the tail goes, what is stored stays as it was
        assertThat(repo.deleteStreamPiecesAfter(SEG, 3000)).isZero();
        assertThat(Files.readAllBytes(file())).isEqualTo(whole);
        assertThat(repo.putStreamPiece(SEG, 3000, wal, 3000, 500, NONE)).isEqualTo(PutOutcome.STORED);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 3500));

        // a last frame whole in length but with bytes that never reached the disk (zeros): a torn tail too
        byte[] now = Files.readAllBytes(file());
        Arrays.fill(now, now.length - 300, now.length, (byte) 0);
        rewrite(now);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 3000));
    }

    @Test
    void aBadFrameThatGoodOnesFollowIsCorruption() throws Exception {
        byte[] good = framesOf1000Bytes(3);
        int frame = FRAME_OF_1000;

        byte[] payload = good.clone();
        payload[frame + PieceFrames.HEADER + 72 + 10] ^= 1; // the second frame's piece
        rewrite(payload);
        assertThatThrownBy(() -> prefix(repo)).isInstanceOf(CorruptObjectException.class).hasMessageContaining("pieces")
                .hasMessageContaining("damaged frame at byte " + frame);
        assertThatThrownBy(() -> repo.streamPiece(SEG, 1000, new ByteArrayOutputStream(), SEGMENT)).isInstanceOf(CorruptObjectException.class);
        // verify reads every listed piece: the damaged one is listed where it was due
        assertThat(repo.streamPieceOffsets(SEG)).containsExactly(0L, 1000L);

        byte[] header = good.clone();
        header[frame + 6] ^= 1; // the second frame's header
        rewrite(header);
        assertThatThrownBy(() -> prefix(repo)).isInstanceOf(CorruptObjectException.class);

        // the same damage in the last frame is a torn tail
        byte[] last = good.clone();
        last[2 * frame + PieceFrames.HEADER + 72 + 10] ^= 1;
        rewrite(last);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 2000));
    }

    @Test
    void aFrameInTheWrongPlaceIsCorruption() throws Exception {
        byte[] bytes = framesOf1000Bytes(2);
        frameHeader(bytes, FRAME_OF_1000, 5000, 1000);
        rewrite(bytes);
        assertThatThrownBy(() -> prefix(repo)).isInstanceOf(CorruptObjectException.class).hasMessageContaining("where offset 1000 was due");
    }

    /** The size of the frame of an uncompressed piece of 1000 bytes. */
    private static final int FRAME_OF_1000 = PieceFrames.HEADER + 72 + 1000;

    /** Stores {@code count} uncompressed pieces of 1000 bytes from offset 0 on; the piece file's bytes. */
    private byte[] framesOf1000Bytes(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            repo.putStreamPiece(SEG, i * 1000L, wal, i * 1000, 1000, NONE);
        }
        return Files.readAllBytes(file());
    }

    /** Writes a valid frame header at {@code at}: what only a writer that got the offset wrong, or someone by hand, would write. */
    private static void frameHeader(byte[] file, int at, long offset, int length) {
        ByteBuffer b = ByteBuffer.wrap(file, at, PieceFrames.HEADER);
        b.position(at + 4).putLong(offset).putInt(length);
        CRC32C crc = new CRC32C();
        crc.update(file, at, PieceFrames.HEADER - 4);
        b.position(at + PieceFrames.HEADER - 4);
        b.putInt((int) crc.getValue());
    }

    @Test
    void anEncryptedFrameIsBoundToItsOffset() throws Exception {
        Path encryptedRoot = Files.createDirectories(root.resolve("enc"));
        Repository enc = repository(encryptedRoot, Optional.of(new EncryptionConfig(
                new Secret("sCsfz9rTpsNvrCTyDEH3Ep+pNwb1hrB0kmqVhLs165hlBYyao20RiJyMsD/Yexi6", "test"))));
        enc.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        Path file = encryptedRoot.resolve("c/stream/" + SEG.fileName() + "/pieces");
        byte[] first = Files.readAllBytes(file);
        enc.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4);
        assertThat(prefix(enc)).isEqualTo(Arrays.copyOf(wal, 2000));
        assertThat(enc.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);
        assertThat(enc.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);

        // the first frame copied behind itself, its header saying offset 1000: in place, but sealed for offset 0
        byte[] moved = Arrays.copyOf(first, 2 * first.length);
        System.arraycopy(first, 0, moved, first.length, first.length);
        frameHeader(moved, first.length, 1000, 1000);
        Files.write(file, moved);
        assertThatThrownBy(() -> prefix(enc)).isInstanceOf(CorruptObjectException.class).hasMessageContaining("segment offset 1000");
    }

    @Test
    void theSameBytesAgainAreStoredAlreadyOtherBytesAreRefusedAndKept() throws Exception {
        repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        repo.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4);
        byte[] stored = Files.readAllBytes(file());
        assertThat(repo.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);
        assertThat(repo.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4)).isEqualTo(PutOutcome.ALREADY_STORED);

        assertThatThrownBy(() -> repo.putStreamPiece(SEG, 0, wal, 0, 1200, LZ4)).isInstanceOf(WalferryException.class)
                .satisfies(e -> assertThat(((WalferryException) e).kind()).isEqualTo(Failure.CONFLICT))
                .hasMessageContaining("with other bytes");
        byte[] other = wal.clone();
        other[1010] ^= 1;
        assertThatThrownBy(() -> repo.putStreamPiece(SEG, 1000, other, 1000, 1000, LZ4)).hasMessageContaining("the stored piece was kept");
        // an offset inside a stored frame: not the bytes stored there as a piece
        assertThatThrownBy(() -> repo.putStreamPiece(SEG, 500, wal, 500, 500, LZ4)).hasMessageContaining("with other bytes");
        assertThat(Files.readAllBytes(file())).isEqualTo(stored);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 2000));
    }

    @Test
    void piecesStoredAsObjectsByAnOlderWalferryAreStillReadAndGoOnAsObjects() throws Exception {
        Repository older = new Repository("local", new PiecesAsObjects(new FsStorage(root)), "c");
        older.putStreamPiece(SEG, 0, wal, 0, 1000, LZ4);
        older.putStreamPiece(SEG, 1000, wal, 1000, 1000, LZ4);
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 2000));
        assertThat(repo.putStreamPiece(SEG, 2000, wal, 2000, 1000, LZ4)).isEqualTo(PutOutcome.STORED);
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString()).sorted()).containsExactly("00000000", "000003E8", "000007D0");
        }
        assertThat(prefix(repo)).isEqualTo(Arrays.copyOf(wal, 3000));
        assertThat(repo.streamPieceEntries(SEG)).extracting(io.walferry.repository.storage.Storage.Entry::name)
                .containsExactly("00000000", "000003E8", "000007D0");
    }

    @Test
    void aSecondWriterIsRefused() throws Exception {
        WalFileName.Segment other = new WalFileName.Segment("000000010000000000000006");
        Path file = Files.createDirectories(root.resolve("c/stream/" + other.fileName())).resolve("pieces");
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = c.lock()) {
            assertThat(held.isValid()).isTrue();
            assertThatThrownBy(() -> repo.putStreamPiece(other, 0, wal, 0, 1000, LZ4)).isInstanceOf(WalferryException.class)
                    .hasMessageContaining("is being written by another walferry agent");
        }
        assertThat(repo.putStreamPiece(other, 0, wal, 0, 1000, LZ4)).isEqualTo(PutOutcome.STORED);
        assertThat(List.of(Files.size(file) > 1000)).containsExactly(true);
    }
}
