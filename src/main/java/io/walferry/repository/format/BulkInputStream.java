package io.walferry.repository.format;

import java.io.IOException;
import java.io.InputStream;

/** An input stream that works in blocks: the single-byte read() is served by the block read of the subclass. */
public abstract class BulkInputStream extends InputStream {
    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;

    /** Takes the stream's content chunk by chunk; a chunk is valid only during the call. */
    @FunctionalInterface
    interface ChunkSink {
        void accept(byte[] b, int off, int len) throws IOException;
    }

    /**
     * Hands the rest of the stream to {@code sink}, and returns how many bytes. This copies through {@code buf};
     * a stream that decodes into a block of its own hands that block over instead, a copy less per byte.
     */
    long transferTo(ChunkSink sink, byte[] buf) throws IOException {
        long total = 0;
        int n;
        while ((n = read(buf, 0, buf.length)) > 0) {
            sink.accept(buf, 0, n);
            total += n;
        }
        return total;
    }
}
