package io.walferry.auxdir;

import io.walferry.repository.format.BulkInputStream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Reads one chunk of a file ({@code length} bytes from {@code from}) for an upload, hashing what it reads, so that
 * the object is published only if it holds the content its address names ({@link #matches}).
 */
final class ChunkInput extends BulkInputStream {
    private final FileChannel channel;
    private final long end;
    private final MessageDigest digest = AuxHasher.sha256();
    private long position;
    private long read;

    ChunkInput(FileChannel channel, long from, long length) {
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
            digest.update(b, off, n);
            position += n;
            read += n;
        }
        return n;
    }

    /** Whether what was read is {@code length} bytes of SHA-256 {@code sha256} (hex). */
    boolean matches(String sha256, long length) {
        return read == length && AuxHasher.hex(digest.digest()).equals(sha256);
    }
}
