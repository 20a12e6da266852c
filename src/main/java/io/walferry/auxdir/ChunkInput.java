package io.walferry.auxdir;

import io.walferry.repository.format.FileRangeInput;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Reads one chunk of a file ({@code length} bytes from {@code from}) for an upload, hashing what it reads, so that
 * the object is published only if it holds the content its address names ({@link #matches}).
 */
final class ChunkInput extends FileRangeInput {
    private final MessageDigest digest = AuxHasher.sha256();
    private long read;

    ChunkInput(FileChannel channel, long from, long length) {
        super(channel, from, length);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            digest.update(b, off, n);
            read += n;
        }
        return n;
    }

    /** Whether what was read is {@code length} bytes of SHA-256 {@code sha256} (hex). */
    boolean matches(String sha256, long length) {
        return read == length && AuxHasher.hex(digest.digest()).equals(sha256);
    }
}
