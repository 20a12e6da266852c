package io.walferry.repository.format;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.Secret;
import io.walferry.repository.format.ObjectHeader.MalformedObjectException;
import io.walferry.testing.Malformed;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The readers of repository data under malformed input (a repository is input from whoever can write to it):
 * the LZ4 frame reader, the object header and the whole object decoder. Every variant either decodes or fails
 * with the reader's own error, within a deadline and an allocation budget.
 */
class MalformedObjectTest {
    private static final int TRIES = 400;
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** A few lz4 blocks of the largest size a frame can declare, and the decoders' own state. */
    private static final long BUDGET = 48L << 20;
    private static final ObjectSeal SEAL = new ObjectSeal(ObjectCipher.derive(new Secret("f".repeat(43), "inline"), ObjectCipher.newSalt()),
            "000000010000000000000007");

    private static byte[] content(int size, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 1000 < 600 ? "postgres".charAt(i % 8) : r.nextInt());
        }
        return b;
    }

    private static byte[] walferryFrame(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream w = new Lz4FrameWriter(out, net.jpountz.lz4.LZ4Factory.fastestInstance().fastCompressor(), 64 << 10)) {
            w.write(content);
        }
        return out.toByteArray();
    }

    /** A frame of another writer, with block and content checksums: read by lz4-java's own frame reader. */
    private static byte[] standardFrame(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream w = new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
                LZ4FrameOutputStream.FLG.Bits.BLOCK_CHECKSUM, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM,
                LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE)) {
            w.write(content);
        }
        return out.toByteArray();
    }

    private static void readFrame(byte[] input) throws IOException {
        try (InputStream in = Lz4FrameReader.open(new ByteArrayInputStream(input))) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    @Test
    void theLz4FrameReaderReadsOrFailsWithAnIoError() throws IOException {
        byte[] ours = walferryFrame(content(150_000, 1));
        byte[] theirs = standardFrame(content(150_000, 2));
        byte[] magic = {0x04, 0x22, 0x4D, 0x18};
        for (int seed = 0; seed < TRIES; seed++) {
            for (byte[] input : new byte[][]{Malformed.variant(ours, seed), Malformed.variant(theirs, seed),
                    Malformed.noise(new byte[]{0x04, 0x22, 0x4D, 0x18, 0x60, 0x70}, seed), Malformed.noise(magic, seed)}) {
                Malformed.readsOrFailsTyped("lz4 frame variant of seed " + seed, DEADLINE, BUDGET, () -> readFrame(input), IOException.class);
            }
        }
    }

    @Test
    void theObjectHeaderParsesOrFailsAsMalformed() {
        for (int seed = 0; seed < 20 * TRIES; seed++) {
            Random r = new Random(seed);
            byte[] h = new ObjectHeader(1 + r.nextInt(2), CompressionType.values()[r.nextInt(3)], r.nextInt(2), r.nextLong(), r.nextLong(),
                    ChecksumAlgorithm.values()[r.nextInt(3)], new byte[32], r.nextInt(), null).encode().array();
            byte[] bad = Malformed.variant(h, seed);
            if (bad.length >= 72 && r.nextBoolean()) { // as someone would who also rewrites the CRC
                CRC32C crc = new CRC32C();
                crc.update(bad, 0, 68);
                ByteBuffer.wrap(bad, 68, 4).putInt((int) crc.getValue());
            }
            Malformed.readsOrFailsTyped("header variant of seed " + seed, DEADLINE, 1 << 20, () -> {
                ObjectHeader parsed = ObjectHeader.decode(bad, bad.length);
                assertThat(parsed.payloadSize()).isNotNegative();
            }, MalformedObjectException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void anObjectDecodesOrFailsAsMalformed(CompressionType type) throws IOException {
        for (ObjectSeal seal : new ObjectSeal[]{ObjectSeal.NONE, SEAL}) {
            byte[] original = content(90_000, type.ordinal());
            ObjectCodecTest.MemorySink sink = new ObjectCodecTest.MemorySink();
            ObjectCodec.encode(new ByteArrayInputStream(original), sink, Compression.defaultFor(type), seal, original.length);
            byte[] valid = sink.object();
            for (int seed = 0; seed < TRIES; seed++) {
                byte[] input = Malformed.variant(valid, seed);
                Malformed.readsOrFailsTyped(type + (seal == SEAL ? " encrypted" : "") + " object variant of seed " + seed, DEADLINE, BUDGET,
                        () -> ObjectCodec.decode(new ByteArrayInputStream(input), OutputStream.nullOutputStream(), seal, 1L << 30),
                        MalformedObjectException.class, ObjectSeal.KeyRequiredException.class);
            }
        }
    }
}
