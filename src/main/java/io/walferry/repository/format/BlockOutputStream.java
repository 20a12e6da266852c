package io.walferry.repository.format;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream that gathers what is written into blocks of a fixed size and hands a full block on only once
 * more bytes follow it, so that the subclass knows, at close, which block is the last: an encrypted chunk says so
 * in its nonce, and an LZ4 frame ends after it.
 */
abstract class BlockOutputStream extends OutputStream {
    private final int blockSize;
    /** The block being filled: its first {@link #fill} bytes. */
    protected byte[] block;
    protected int fill;

    BlockOutputStream(byte[] block, int blockSize) {
        this.block = block;
        this.blockSize = blockSize;
    }

    /** Hands on the full block, which is not the last; the next bytes go to the block's start. */
    protected abstract void blockFull() throws IOException;

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (fill == blockSize) {
                // Only now is it known that this full block is not the last one.
                blockFull();
                fill = 0;
            }
            int n = Math.min(len, blockSize - fill);
            System.arraycopy(b, off, block, fill, n);
            fill += n;
            off += n;
            len -= n;
        }
    }
}
