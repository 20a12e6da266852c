package io.walferry.repository.format;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class Lz4FrameWriterTest {
    @TempDir
    Path tmp;

    /** Compressible runs and random stretches, so that both compressed and stored blocks occur. */
    private static byte[] data(int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        int i = 0;
        while (i < size) {
            int run = Math.min(size - i, 1 + r.nextInt(3 << 20));
            if (r.nextBoolean()) {
                byte[] noise = new byte[run];
                r.nextBytes(noise);
                System.arraycopy(noise, 0, b, i, run);
            } else {
                for (int j = 0; j < run; j++) {
                    b[i + j] = (byte) ("pgbench".charAt(j % 7) + j / 8192);
                }
            }
            i += run;
        }
        return b;
    }

    private static byte[] frame(byte[] original, int blockSize, int writeSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Lz4FrameWriter w = new Lz4FrameWriter(out, LZ4Factory.fastestInstance().fastCompressor(), blockSize)) {
            for (int off = 0; off < original.length; off += writeSize) {
                w.write(original, off, Math.min(writeSize, original.length - off));
            }
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {64 << 10, 256 << 10, 1 << 20, 4 << 20})
    void everyBlockSizeDecodesWithAStandardReader(int blockSize) throws IOException {
        for (int size : new int[]{0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize + 12345, 9 << 20}) {
            byte[] original = data(size, size);
            byte[] framed = frame(original, blockSize, 100_000);
            byte[] back = new LZ4FrameInputStream(new ByteArrayInputStream(framed)).readAllBytes();
            assertThat(back).as("size %d, block %d", size, blockSize).isEqualTo(original);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64 << 10, 256 << 10, 1 << 20, 4 << 20})
    void walferrysReaderReadsItsOwnFramesAndLz4JavasToo(int blockSize) throws IOException {
        for (int size : new int[]{0, 1, blockSize + 1, 3 * blockSize + 12345}) {
            byte[] original = data(size, size + 1);
            byte[] framed = frame(original, blockSize, 65_536);
            try (var in = Lz4FrameReader.open(new ByteArrayInputStream(framed))) {
                assertThat(in).isInstanceOf(Lz4FrameReader.class);
                assertThat(in.readAllBytes()).as("size %d, block %d", size, blockSize).isEqualTo(original);
            }
            // what lz4-java's writer made (objects stored before walferry wrote frames itself), with checksums on
            ByteArrayOutputStream old = new ByteArrayOutputStream();
            try (var w = new net.jpountz.lz4.LZ4FrameOutputStream(old, net.jpountz.lz4.LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
                    size, net.jpountz.lz4.LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE,
                    net.jpountz.lz4.LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM, net.jpountz.lz4.LZ4FrameOutputStream.FLG.Bits.CONTENT_SIZE)) {
                w.write(original);
            }
            try (var in = Lz4FrameReader.open(new ByteArrayInputStream(old.toByteArray()))) {
                assertThat(in.readAllBytes()).isEqualTo(original);
            }
        }
    }

    @Test
    void aDamagedOrTruncatedFrameIsAnErrorNotShortContent() throws IOException {
        byte[] original = data(3 << 20, 9);
        byte[] framed = frame(original, 1 << 20, 1 << 20);
        byte[] cut = java.util.Arrays.copyOf(framed, framed.length - 100);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Lz4FrameReader.open(new ByteArrayInputStream(cut)).readAllBytes())
                .isInstanceOf(IOException.class);
        byte[] bent = framed.clone();
        bent[9] = (byte) 0x7F; // the first block's size, now larger than the frame's blocks
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Lz4FrameReader.open(new ByteArrayInputStream(bent)).readAllBytes())
                .isInstanceOf(IOException.class);
    }

    @Test
    void incompressibleInputIsStoredWithOnlyTheFramingAdded() throws IOException {
        byte[] noise = new byte[5 << 20];
        new Random(7).nextBytes(noise);
        byte[] framed = frame(noise, 4 << 20, 1 << 20);
        // 7 bytes of frame header, 4 per block (two blocks), 4 for the end mark
        assertThat(framed).hasSize(noise.length + 7 + 8 + 4);
        assertThat(new LZ4FrameInputStream(new ByteArrayInputStream(framed)).readAllBytes()).isEqualTo(noise);
    }

    @Test
    void pooledBuffersCarryNothingFromOneFrameToTheNext() throws IOException {
        byte[] large = data(6 << 20, 1);
        byte[] small = data(100, 2);
        frame(large, 4 << 20, 1 << 20);
        byte[] framed = frame(small, 4 << 20, 7);
        assertThat(new LZ4FrameInputStream(new ByteArrayInputStream(framed)).readAllBytes()).isEqualTo(small);
    }

    @Test
    void theLz4CommandDecodesIt() throws Exception {
        Path lz4 = Path.of("/usr/bin/lz4"); // run-tests installs it
        byte[] original = data(7 << 20, 3);
        Path in = tmp.resolve("x.lz4");
        Files.write(in, frame(original, 4 << 20, 1 << 20));
        Path out = tmp.resolve("x");
        Process p = new ProcessBuilder(lz4.toString(), "-d", "-q", in.toString(), out.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(original);
    }
}
