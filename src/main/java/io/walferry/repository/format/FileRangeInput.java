package io.walferry.repository.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads {@code length} bytes of an open file from {@code from} on, with positional reads (so that several
 * ranges of one channel can be read at once), ending early where the file now ends: what a backup's chunk or an aux
 * directory's chunk is encoded from.
 */
public class FileRangeInput extends BulkInputStream {
    private final FileChannel channel;
    private final long end;
    private long position;

    public FileRangeInput(FileChannel channel, long from, long length) {
        this.channel = channel;
        this.position = from;
        this.end = from + length;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (position >= end) {
            return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
        if (n > 0) {
            position += n;
        }
        return n;
    }
}
