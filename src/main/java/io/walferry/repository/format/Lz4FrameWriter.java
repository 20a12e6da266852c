package io.walferry.repository.format;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a standard LZ4 frame (independent blocks, no block or content checksum: the object header carries
 * the checksum of the original and the CRC-32C of the payload), readable by any LZ4 frame decoder, `lz4 -d`
 * included. lz4-java's own frame writer allocates two block-sized arrays per frame and clears one for every
 * block; a backup writes a frame per file and per chunk, and that clearing and the collection of those arrays
 * outweighed the compression (docs/benchmarks.md, "Backup and restore"). This writer borrows pooled arrays and
 * clears nothing.
 */
final class Lz4FrameWriter extends BlockOutputStream {
    private static final int MAGIC = 0x184D2204;
    private static final int MAX_BLOCK = 4 << 20;
    /** FLG: version 01, independent blocks; nothing else. */
    private static final int FLG = 0b0110_0000;
    private static final int UNCOMPRESSED = 0x8000_0000;
    private static final BufferPool<byte[]> BLOCKS = BufferPool.arrays(MAX_BLOCK, 16);
    private static final BufferPool<byte[]> COMPRESSED = BufferPool.arrays(
            LZ4Factory.fastestInstance().fastCompressor().maxCompressedLength(MAX_BLOCK), 8);

    /** A pooled array of the largest block size, for {@link Lz4FrameReader} too. */
    static byte[] takeBlock() {
        return BLOCKS.take();
    }

    static void giveBlock(byte[] b) {
        BLOCKS.give(b);
    }

    private final OutputStream out;
    private final LZ4Compressor compressor;
    private byte[] compressed;
    private boolean closed;

    /** @param blockSize 64 KiB, 256 KiB, 1 MiB or 4 MiB, the block sizes the frame format knows */
    Lz4FrameWriter(OutputStream out, LZ4Compressor compressor, int blockSize) throws IOException {
        super(BLOCKS.take(), blockSize);
        this.out = out;
        this.compressor = compressor;
        int bd = switch (blockSize) {
            case 64 << 10 -> 4;
            case 256 << 10 -> 5;
            case 1 << 20 -> 6;
            case 4 << 20 -> 7;
            default -> throw new IllegalArgumentException("no LZ4 frame block size " + blockSize);
        };
        this.compressed = COMPRESSED.take();
        byte[] header = new byte[7];
        putIntLE(header, 0, MAGIC);
        header[4] = (byte) FLG;
        header[5] = (byte) (bd << 4);
        header[6] = (byte) ((XXHashFactory.fastestInstance().hash32().hash(header, 4, 2, 0) >> 8) & 0xFF);
        out.write(header);
    }

    @Override
    protected void blockFull() throws IOException {
        writeBlock();
    }

    private void writeBlock() throws IOException {
        if (fill == 0) {
            return;
        }
        int n = compressor.compress(block, 0, fill, compressed, 4, compressed.length - 4);
        if (n >= fill) {
            // Incompressible: stored as it is, flagged, so that the frame is never larger than the input plus framing.
            putIntLE(compressed, 0, fill | UNCOMPRESSED);
            out.write(compressed, 0, 4);
            out.write(block, 0, fill);
        } else {
            putIntLE(compressed, 0, n);
            out.write(compressed, 0, n + 4);
        }
        fill = 0;
    }

    /** Ends the frame and closes the stream underneath. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writeBlock();
            out.write(new byte[4]);
            out.close();
        } finally {
            BLOCKS.give(block);
            COMPRESSED.give(compressed);
            block = null;
            compressed = null;
        }
    }

    private static void putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
