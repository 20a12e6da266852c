package io.walferry.repository.format;

import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHashFactory;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;

/**
 * Reads the LZ4 frames walferry writes ({@link Lz4FrameWriter}: independent blocks, no block or content
 * checksum) with pooled buffers: lz4-java's reader allocates two buffers of the frame's block size for every
 * frame, which a replica's prefetcher would allocate, clear and collect for every WAL segment. Any other
 * frame (checksums, a dictionary, dependent blocks) is handed to lz4-java's reader, which knows them all.
 */
final class Lz4FrameReader extends BulkInputStream {
    private static final int MAGIC = 0x184D2204;
    private static final int UNCOMPRESSED = 0x8000_0000;
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();

    private final InputStream in;
    private final int maxBlock;
    private byte[] compressed;
    private byte[] block;
    private int pos;
    private int limit;
    private boolean ended;

    private Lz4FrameReader(InputStream in, int maxBlock) {
        this.in = in;
        this.maxBlock = maxBlock;
        this.compressed = Lz4FrameWriter.takeBlock();
        this.block = Lz4FrameWriter.takeBlock();
    }

    /** A stream of the frame's content: this reader for walferry's own frames, lz4-java's for any other. */
    static InputStream open(InputStream in) throws IOException {
        byte[] h = new byte[7];
        readFully(in, h, 0, 6);
        int flg = h[4] & 0xFF;
        int bd = h[5] & 0xFF;
        boolean plain = intLE(h, 0) == MAGIC && (flg >>> 6) == 1 && (flg & 0b0010_0000) != 0 // version 01, independent blocks
                && (flg & 0b0001_0111) == 0 // no block checksum, no content checksum, no dictionary, reserved bit clear
                && ((bd >>> 4) & 7) >= 4 && (bd & 0b1000_1111) == 0;
        if (!plain) {
            try {
                return new IoErrorsOnly(new LZ4FrameInputStream(new SequenceInputStream(new ByteArrayInputStream(h, 0, 6), in)));
            } catch (RuntimeException e) {
                throw malformed(e);
            }
        }
        boolean contentSize = (flg & 0b0000_1000) != 0;
        byte[] descriptor = new byte[contentSize ? 10 : 2];
        descriptor[0] = h[4];
        descriptor[1] = h[5];
        if (contentSize) {
            readFully(in, descriptor, 2, 8);
        }
        int hc = in.read();
        if (hc < 0) {
            throw new EOFException("LZ4 frame header is truncated");
        }
        if (hc != ((XXHashFactory.fastestInstance().hash32().hash(descriptor, 0, descriptor.length, 0) >> 8) & 0xFF)) {
            throw new IOException("LZ4 frame header checksum does not match");
        }
        return new Lz4FrameReader(in, 1 << (8 + 2 * ((bd >>> 4) & 7)));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pos == limit) {
            if (ended || !nextBlock()) {
                return -1;
            }
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    long transferTo(ChunkSink sink, byte[] buf) throws IOException {
        long total = 0;
        while (true) {
            while (pos == limit) {
                if (ended || !nextBlock()) {
                    return total;
                }
            }
            int n = limit - pos;
            sink.accept(block, pos, n);
            pos = limit;
            total += n;
        }
    }

    private boolean nextBlock() throws IOException {
        byte[] size = new byte[4];
        readFully(in, size, 0, 4);
        int word = intLE(size, 0);
        if (word == 0) {
            ended = true;
            return false;
        }
        int length = word & ~UNCOMPRESSED;
        if (length > maxBlock) {
            throw new IOException("LZ4 block of " + length + " bytes in a frame of " + maxBlock + "-byte blocks");
        }
        if ((word & UNCOMPRESSED) != 0) {
            readFully(in, block, 0, length);
            limit = length;
        } else {
            readFully(in, compressed, 0, length);
            try {
                limit = DECOMPRESSOR.decompress(compressed, 0, length, block, 0, maxBlock);
            } catch (LZ4Exception e) {
                throw malformed(e);
            }
        }
        pos = 0;
        return true;
    }

    @Override
    public void close() throws IOException {
        if (block != null) {
            Lz4FrameWriter.giveBlock(block);
            Lz4FrameWriter.giveBlock(compressed);
            block = null;
            compressed = null;
        }
        in.close();
    }

    /** lz4-java reports malformed input with unchecked exceptions; a reader of repository data reports an I/O error. */
    private static IOException malformed(RuntimeException e) {
        return new IOException("malformed LZ4 data: " + e.getMessage(), e);
    }

    /** lz4-java's frame reader, its unchecked exceptions turned into I/O errors. */
    private static final class IoErrorsOnly extends FilterInputStream {
        IoErrorsOnly(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (RuntimeException e) {
                throw malformed(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (RuntimeException e) {
                throw malformed(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (RuntimeException e) {
                throw malformed(e);
            }
        }
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new EOFException("LZ4 frame is truncated");
            }
            off += n;
            len -= n;
        }
    }

    private static int intLE(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
