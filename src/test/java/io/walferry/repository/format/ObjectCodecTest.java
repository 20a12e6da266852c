package io.walferry.repository.format;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.repository.format.ObjectHeader.MalformedObjectException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectCodecTest {
    @TempDir
    Path tmp;

    /** Half compressible, half random: like real WAL. */
    private static byte[] sample() {
        byte[] b = new byte[3 << 20];
        Random r = new Random(42);
        for (int i = 0; i < b.length / 2; i++) {
            b[i] = (byte) ("walferry".charAt(i % 8) + (i / 4096) % 3);
        }
        byte[] noise = new byte[b.length / 2];
        r.nextBytes(noise);
        System.arraycopy(noise, 0, b, b.length / 2, noise.length);
        return b;
    }

    /** An object in memory: the payload as it comes, the header put in front at the end. */
    static final class MemorySink implements ObjectSink {
        byte[] object() {
            return object;
        }

        private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        private byte[] object;

        @Override
        public void write(byte[] b, int off, int len) {
            payload.write(b, off, len);
        }

        @Override
        public void finish(ByteBuffer header) {
            byte[] h = new byte[header.remaining()];
            header.get(h);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(h);
            all.writeBytes(payload.toByteArray());
            object = all.toByteArray();
        }
    }

    private byte[] encode(byte[] original, Compression c) throws IOException {
        MemorySink sink = new MemorySink();
        ObjectHeader h = ObjectCodec.encode(new ByteArrayInputStream(original), sink, c);
        assertThat(h.originalSize()).isEqualTo(original.length);
        assertThat(h.payloadSize() + ObjectHeader.SIZE).isEqualTo(sink.object.length);
        return sink.object;
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void roundTripsEveryCompression(CompressionType type) throws Exception {
        byte[] original = sample();
        byte[] stored = encode(original, Compression.defaultFor(type));
        if (type != CompressionType.NONE) {
            assertThat(stored.length).isLessThan(original.length * 3 / 4);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectHeader h = ObjectCodec.decode(new ByteArrayInputStream(stored), out);
        assertThat(out.toByteArray()).isEqualTo(original);
        assertThat(h.compression()).isEqualTo(type);
        assertThat(ObjectCodec.checkStored(new ByteArrayInputStream(stored)).sameContent(h)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = ChecksumAlgorithm.class, names = {"SHA256", "XXH64"})
    void readsEveryChecksumAlgorithm(ChecksumAlgorithm checksum) throws Exception {
        byte[] original = sample();
        MemorySink sink = new MemorySink();
        ObjectCodec.encode(new ByteArrayInputStream(original), sink, Compression.defaultFor(CompressionType.LZ4), ObjectSeal.NONE, checksum);
        byte[] stored = sink.object;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ObjectCodec.decode(new ByteArrayInputStream(stored), out).checksum()).isEqualTo(checksum);
        assertThat(out.toByteArray()).isEqualTo(original);
        byte[] bad = stored.clone();
        bad[32] ^= 1; // the checksum field: the header CRC catches it
        assertThatThrownBy(() -> ObjectCodec.decode(new ByteArrayInputStream(bad), OutputStream.nullOutputStream()))
                .isInstanceOf(MalformedObjectException.class);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void detectsEveryKindOfDamage(CompressionType type) throws Exception {
        byte[] stored = encode(sample(), Compression.defaultFor(type));
        for (int at : new int[]{3, 20, 40, ObjectHeader.SIZE + 10, stored.length / 2, stored.length - 1}) {
            byte[] bad = stored.clone();
            bad[at] ^= 0x40;
            assertThatThrownBy(() -> ObjectCodec.decode(new ByteArrayInputStream(bad), OutputStream.nullOutputStream()))
                    .as("flipped byte at " + at).isInstanceOf(MalformedObjectException.class)
                    .hasMessageMatching(at < ObjectHeader.SIZE ? "(?s).*(magic|header).*" : "(?s).*altered.*");
        }
        for (int len : new int[]{0, 10, ObjectHeader.SIZE, stored.length / 2, stored.length - 1}) {
            byte[] cut = Arrays.copyOf(stored, len);
            assertThatThrownBy(() -> ObjectCodec.decode(new ByteArrayInputStream(cut), OutputStream.nullOutputStream()))
                    .as("truncated to " + len).isInstanceOf(MalformedObjectException.class).hasMessageContaining("truncated");
        }
        byte[] longer = Arrays.copyOf(stored, stored.length + 1);
        assertThatThrownBy(() -> ObjectCodec.decode(new ByteArrayInputStream(longer), OutputStream.nullOutputStream()))
                .isInstanceOf(MalformedObjectException.class).hasMessageContaining("after the payload");
    }

    @org.junit.jupiter.api.Test
    void aFailingDestinationIsNotReportedAsCorruption() throws Exception {
        byte[] stored = encode(sample(), Compression.defaultFor(CompressionType.LZ4));
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        assertThatThrownBy(() -> ObjectCodec.decode(new ByteArrayInputStream(stored), full))
                .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("No space left");
    }
}
