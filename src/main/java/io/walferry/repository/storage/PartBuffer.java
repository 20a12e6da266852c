package io.walferry.repository.storage;

import io.walferry.repository.format.BufferPool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.function.ObjIntConsumer;
import java.util.zip.CRC32C;

/**
 * An object being written to object storage, held in memory as the parts it will be uploaded in. The first
 * {@code headerSize} bytes are reserved for the header, which is filled in last; a short tail part is merged
 * into the one before it, because every part but the last must be at least 5 MiB.
 */
final class PartBuffer {
    static final int MIN_PART = 5 << 20;

    private final BufferPool<byte[]> pool;
    private final int headerSize;
    private final List<byte[]> parts = new ArrayList<>();
    private int fill;
    private long size;

    PartBuffer(BufferPool<byte[]> pool, int headerSize) {
        this.pool = pool;
        this.headerSize = headerSize;
        parts.add(pool.take());
        fill = headerSize;
        size = headerSize;
    }

    /** Gives the arrays back to the pool; nothing may read this buffer afterwards. */
    void release() {
        parts.forEach(pool::give);
        parts.clear();
    }

    void write(byte[] b, int off, int len) {
        while (len > 0) {
            byte[] cur = parts.get(parts.size() - 1);
            if (fill == cur.length) {
                cur = pool.take();
                parts.add(cur);
                fill = 0;
            }
            int n = Math.min(len, cur.length - fill);
            System.arraycopy(b, off, cur, fill, n);
            fill += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    void putHeader(ByteBuffer header) {
        if (header.remaining() != headerSize) {
            throw new IllegalArgumentException("header is " + header.remaining() + " bytes, " + headerSize + " were reserved");
        }
        header.get(parts.get(0), 0, headerSize);
    }

    long size() {
        return size;
    }

    /** The parts to upload, each exactly as stored; a tail shorter than 5 MiB is joined to the part before it. */
    List<ByteSlice> uploadParts() {
        List<ByteSlice> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            boolean last = i == parts.size() - 1;
            out.add(new ByteSlice(List.of(parts.get(i)), last ? fill : parts.get(i).length));
        }
        if (out.size() > 1 && out.get(out.size() - 1).length() < MIN_PART) {
            ByteSlice tail = out.remove(out.size() - 1);
            ByteSlice prev = out.remove(out.size() - 1);
            List<byte[]> joined = new ArrayList<>(prev.arrays());
            joined.addAll(tail.arrays());
            out.add(new ByteSlice(joined, prev.length() + tail.length()));
        }
        return out;
    }

    InputStream read() {
        List<InputStream> streams = new ArrayList<>();
        for (ByteSlice s : uploadParts()) {
            streams.add(s.stream());
        }
        return new SequenceInputStream(Collections.enumeration(streams));
    }

    /** Whole arrays, of which the last one is used up to {@code length} in total. */
    record ByteSlice(List<byte[]> arrays, long length) {
        InputStream stream() {
            List<InputStream> streams = new ArrayList<>();
            forEachRange((a, n) -> streams.add(new ByteArrayInputStream(a, 0, n)));
            return new SequenceInputStream(Collections.enumeration(streams));
        }

        /** The CRC-32C of the bytes, as S3 takes it (base64 of the big-endian value). */
        String crc32c() {
            CRC32C crc = new CRC32C();
            forEachRange((a, n) -> crc.update(a, 0, n));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        }

        /** The MD5 of the bytes, as Content-MD5 takes it (base64). */
        String md5() throws IOException {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IOException("MD5 is not available in this JVM", e);
            }
            forEachRange((a, n) -> md.update(a, 0, n));
            return Base64.getEncoder().encodeToString(md.digest());
        }

        /** Hands each array over with the number of its bytes that belong to the slice. */
        private void forEachRange(ObjIntConsumer<byte[]> range) {
            long left = length;
            for (byte[] a : arrays) {
                int n = (int) Math.min(a.length, left);
                range.accept(a, n);
                left -= n;
            }
        }
    }
}
