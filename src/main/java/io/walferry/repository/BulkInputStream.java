package io.walferry.repository;

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
}
