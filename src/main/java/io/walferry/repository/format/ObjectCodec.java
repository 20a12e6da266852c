package io.walferry.repository.format;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.walferry.config.Compression;
import io.walferry.repository.format.ObjectHeader.MalformedObjectException;
import net.jpountz.lz4.LZ4Factory;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.zip.CRC32C;

/**
 * Turns original bytes into a stored object (header, then the compressed payload) and back, checking on the
 * way back everything the header promises: payload length and CRC, decompression, original length and
 * checksum. Nothing decoded is trusted until all of them match.
 */
public final class ObjectCodec {
    private static final int BUFFER = 1 << 20;
    /** The copy buffers of encode and decode, reused: a backup encodes a thousand objects. */
    private static final BufferPool<byte[]> BUFFERS = BufferPool.arrays(BUFFER, 16);

    private ObjectCodec() {
    }

    /** The checksum new objects get. */
    public static final ChecksumAlgorithm DEFAULT_CHECKSUM = ChecksumAlgorithm.XXH64;

    /** Encodes {@code source} into {@code target}; the header goes last, once known, in front of the payload. */
    public static ObjectHeader encode(InputStream source, ObjectSink target, Compression compression) throws IOException {
        return encode(source, target, compression, ObjectSeal.NONE);
    }

    /** As {@link #encode(InputStream, ObjectSink, Compression)}, encrypting the compressed payload with {@code seal}. */
    public static ObjectHeader encode(InputStream source, ObjectSink target, Compression compression, ObjectSeal seal)
            throws IOException {
        return encode(source, target, compression, seal, DEFAULT_CHECKSUM, -1);
    }

    /**
     * As above, for a source of about {@code expectedSize} bytes (-1: unknown): small objects get small lz4
     * blocks, because every lz4 frame writer allocates and clears two buffers of its block size, and a
     * backup writes a thousand files of a few kilobytes.
     */
    public static ObjectHeader encode(InputStream source, ObjectSink target, Compression compression, ObjectSeal seal, long expectedSize)
            throws IOException {
        return encode(source, target, compression, seal, DEFAULT_CHECKSUM, expectedSize);
    }

    static ObjectHeader encode(InputStream source, ObjectSink target, Compression compression, ObjectSeal seal,
                               ChecksumAlgorithm checksum) throws IOException {
        return encode(source, target, compression, seal, checksum, -1);
    }

    /**
     * Plain objects get format 1 and {@code checksum}; encrypted ones format 2, whose checksum is a content MAC under
     * the object's key and whose header the last chunk authenticates.
     */
    private static ObjectHeader encode(InputStream source, ObjectSink target, Compression compression, ObjectSeal seal,
                                       ChecksumAlgorithm checksum, long expectedSize) throws IOException {
        PayloadSink sink = new PayloadSink(target);
        boolean encrypted = seal.cipher() != null;
        int version = encrypted ? ObjectHeader.ENCRYPTED_VERSION : ObjectHeader.PLAIN_VERSION;
        ChecksumAlgorithm algorithm = encrypted ? ChecksumAlgorithm.HMAC_SHA256 : checksum;
        ObjectCipher.Sealing sealing = encrypted ? seal.cipher().seal(new KeepOpen(sink), seal.name(),
                ObjectHeader.prefix(version, compression.type(), seal.scheme(), algorithm)) : null;
        ChecksumAlgorithm.Hasher sha = encrypted ? sealing.contentMac() : checksum.newHasher();
        ChecksumAlgorithm.Hasher xxh = encrypted ? ChecksumAlgorithm.XXH64.newHasher() : null;
        long original = 0;
        byte[] field;
        byte[] buf = BUFFERS.take();
        try (OutputStream out = compressor(encrypted ? sealing.stream() : new KeepOpen(sink), compression, expectedSize)) {
            int n;
            while ((n = source.read(buf)) > 0) {
                sha.update(buf, 0, n);
                if (xxh != null) {
                    xxh.update(buf, 0, n);
                }
                out.write(buf, 0, n);
                original += n;
            }
            // The content is complete: the header is known but for the sizes and CRCs of the payload still to come.
            field = sha.field();
            if (encrypted) {
                long size = original;
                sealing.authenticate(payloadSize -> new ObjectHeader(version, compression.type(), seal.scheme(), size, payloadSize,
                        algorithm, field, 0, null).authenticated());
            }
        } finally {
            BUFFERS.give(buf);
        }
        ObjectHeader header = new ObjectHeader(version, compression.type(), seal.scheme(), original, sink.count, algorithm, field,
                (int) sink.crc.getValue(), xxh == null ? null : xxh.field());
        target.finish(header.encode());
        return header;
    }

    /** Decodes an object to {@code out}, verifying it completely; out may have received bytes when this throws. */
    public static ObjectHeader decode(InputStream stored, OutputStream out) throws IOException, MalformedObjectException {
        return decode(stored, out, ObjectSeal.NONE);
    }

    /**
     * As {@link #decode(InputStream, OutputStream)} for a repository whose objects are sealed with {@code seal}:
     * a plain object is refused there, as it may have been put in place of an encrypted one.
     */
    public static ObjectHeader decode(InputStream stored, OutputStream out, ObjectSeal seal) throws IOException, MalformedObjectException {
        return decode(stored, out, seal, Long.MAX_VALUE);
    }

    /**
     * As {@link #decode(InputStream, OutputStream, ObjectSeal)}, refusing an object of more than {@code limit}
     * original bytes: by its header before anything is decoded, and while decoding (a payload that decodes to
     * more than its header says is stopped there, not written out to the end).
     */
    public static ObjectHeader decode(InputStream stored, OutputStream out, ObjectSeal seal, long limit)
            throws IOException, MalformedObjectException {
        byte[] raw = stored.readNBytes(ObjectHeader.SIZE);
        ObjectHeader header = ObjectHeader.decode(raw, raw.length);
        if (header.originalSize() > limit) {
            throw new MalformedObjectException("holds " + header.originalSize() + " bytes, more than " + limit + ", the most it may hold here");
        }
        long bound = header.sizeKnown() ? Math.min(limit, header.originalSize()) : limit;
        if (header.encryption() != seal.scheme()) {
            if (seal.cipher() == null) {
                throw new ObjectSeal.KeyRequiredException();
            }
            throw new MalformedObjectException("is not encrypted, but every object of this repository is: refused");
        }
        PayloadInput payload = new PayloadInput(stored, header.payloadSize());
        ChecksumAlgorithm.Hasher sha;
        ChecksumAlgorithm.Hasher xxh = null;
        InputStream plain;
        if (seal.cipher() == null) {
            sha = header.checksum().newHasher();
            plain = payload;
        } else if (header.version() == ObjectHeader.ENCRYPTED_VERSION) {
            ObjectCipher.Opening opening;
            try {
                opening = seal.cipher().open(payload, seal.name(), raw);
            } catch (ObjectCipher.AuthenticationFailure e) {
                throw authenticationFailure(payload, header, e);
            }
            sha = opening.contentMac();
            xxh = ChecksumAlgorithm.XXH64.newHasher();
            plain = opening.stream();
        } else {
            sha = header.checksum().newHasher(); // format 1: written by an earlier walferry
            try {
                plain = seal.cipher().decryptFormat1(payload, seal.name());
            } catch (ObjectCipher.AuthenticationFailure e) {
                throw authenticationFailure(payload, header, e);
            }
        }
        long original = 0;
        long[] decoded = {0};
        ChecksumAlgorithm.Hasher contentXxh = xxh;
        byte[] buf = BUFFERS.take();
        try (InputStream in = decompressor(plain, header)) {
            BulkInputStream.ChunkSink sink = (b, off, len) -> {
                decoded[0] += len;
                if (decoded[0] > bound) {
                    throw new Oversize(bound);
                }
                sha.update(b, off, len);
                if (contentXxh != null) {
                    contentXxh.update(b, off, len);
                }
                try {
                    // in pieces of the copy buffer's size: a whole lz4 block in one write makes the JDK copy it
                    // through a temporary direct buffer of its size, which costs more than the one write saves
                    for (int at = off, end = off + len; at < end; at += BUFFER) {
                        out.write(b, at, Math.min(BUFFER, end - at));
                    }
                } catch (IOException e) {
                    // The destination failed (a full disk, say): nothing is wrong with the object.
                    throw new UncheckedIOException(e);
                }
            };
            if (in instanceof BulkInputStream bulk) {
                original = bulk.transferTo(sink, buf); // lz4: straight from its block, a copy less per byte
            } else {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sink.accept(buf, 0, n);
                    original += n;
                }
            }
        } catch (UncheckedIOException e) {
            throw e;
        } catch (Oversize e) {
            throw new MalformedObjectException("decodes to more than " + e.bound + " bytes, the most its header (or its place) allows");
        } catch (PayloadInput.SourceFailure e) {
            throw e.getCause();
        } catch (ObjectCipher.AuthenticationFailure e) {
            throw authenticationFailure(payload, header, e);
        } catch (IOException | RuntimeException e) {
            // The decompressor failed on the bytes it was given: say first whether they were all there and
            // intact, the causes a DBA can act on, before blaming the compressed data itself.
            payload.drain();
            payload.checkComplete();
            checkCrc(payload, header);
            throw new MalformedObjectException("payload cannot be decompressed (" + e.getMessage() + ")");
        } finally {
            BUFFERS.give(buf);
        }
        payload.drain();
        payload.checkComplete();
        checkCrc(payload, header);
        if (header.sizeKnown() && original != header.originalSize()) {
            throw new MalformedObjectException("decodes to " + original + " bytes, the header says " + header.originalSize());
        }
        byte[] digest = sha.field();
        if (!MessageDigest.isEqual(digest, header.checksumField())) {
            throw new MalformedObjectException("decodes to content with checksum " + header.checksum().format(digest)
                    + ", the header says " + header.checksumText());
        }
        return header.decoded(original, contentXxh == null ? null : contentXxh.field());
    }

    /** Checks a stored copy without decoding it: header, payload length and payload CRC. */
    public static ObjectHeader checkStored(InputStream stored) throws IOException, MalformedObjectException {
        ObjectHeader header = readHeader(stored);
        PayloadInput payload = new PayloadInput(stored, header.payloadSize());
        try {
            payload.drain();
        } catch (PayloadInput.SourceFailure e) {
            throw e.getCause();
        }
        payload.checkComplete();
        checkCrc(payload, header);
        return header;
    }

    /** Says first whether the payload was all there and intact (what a DBA can act on), then that it was not this object's. */
    private static MalformedObjectException authenticationFailure(PayloadInput payload, ObjectHeader header, IOException e)
            throws IOException, MalformedObjectException {
        payload.drain();
        payload.checkComplete();
        checkCrc(payload, header);
        return new MalformedObjectException("fails authentication (" + e.getMessage() + "): it was altered, or moved from another name");
    }

    private static void checkCrc(PayloadInput payload, ObjectHeader header) throws MalformedObjectException {
        if ((int) payload.crc.getValue() != header.payloadCrc32c()) {
            throw new MalformedObjectException("payload does not match its CRC-32C: the stored bytes were altered");
        }
    }

    public static ObjectHeader readHeader(InputStream stored) throws IOException, MalformedObjectException {
        byte[] hb = stored.readNBytes(ObjectHeader.SIZE);
        return ObjectHeader.decode(hb, hb.length);
    }

    /**
     * The checksum field {@code content} would have in the stored object {@code stored} (read from its start): its
     * checksum, or for a format 2 object its content MAC under that object's key, which needs {@code seal}.
     */
    public static byte[] checksumFor(InputStream stored, ObjectSeal seal, InputStream content)
            throws IOException, MalformedObjectException {
        ObjectHeader header = readHeader(stored);
        if (header.version() != ObjectHeader.ENCRYPTED_VERSION) {
            return checksumOf(content, header.checksum().newHasher());
        }
        if (seal.cipher() == null) {
            throw new ObjectSeal.KeyRequiredException();
        }
        return checksumOf(content, seal.cipher().contentMacOf(stored, seal.name()));
    }

    private static byte[] checksumOf(InputStream in, ChecksumAlgorithm.Hasher h) throws IOException {
        byte[] buf = BUFFERS.take();
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                h.update(buf, 0, n);
            }
        } finally {
            BUFFERS.give(buf);
        }
        return h.field();
    }

    /** Small objects get small blocks: a decoder allocates buffers of the block size the frame declares. */
    private static int lz4Block(long expectedSize) {
        if (expectedSize < 0 || expectedSize > (1 << 20)) {
            return 4 << 20;
        }
        if (expectedSize > (256 << 10)) {
            return 1 << 20;
        }
        return expectedSize > (64 << 10) ? 256 << 10 : 64 << 10;
    }

    private static OutputStream compressor(OutputStream out, Compression c, long expectedSize) throws IOException {
        return switch (c.type()) {
            case NONE -> out;
            case LZ4 -> {
                LZ4Factory f = LZ4Factory.fastestInstance();
                yield new Lz4FrameWriter(out, c.level() == 0 ? f.fastCompressor() : f.highCompressor(c.level()), lz4Block(expectedSize));
            }
            case ZSTD -> new ZstdOutputStream(out, c.level());
        };
    }

    private static InputStream decompressor(InputStream in, ObjectHeader h) throws IOException {
        return switch (h.compression()) {
            case NONE -> in;
            case LZ4 -> Lz4FrameReader.open(in);
            case ZSTD -> new ZstdInputStream(in);
        };
    }

    /** Decoding went past what the object may hold: stopped before more is written. */
    private static final class Oversize extends IOException {
        final long bound;

        Oversize(long bound) {
            super("decodes to more than " + bound + " bytes");
            this.bound = bound;
        }
    }

    /** Passes the payload on, counting the bytes and their CRC-32C. */
    private static final class PayloadSink extends OutputStream {
        private final ObjectSink target;
        private final CRC32C crc = new CRC32C();
        private long count;

        PayloadSink(ObjectSink target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            crc.update(b, off, len);
            count += len;
            target.write(b, off, len);
        }
    }

    /** Lets a compressor's close() finish its frame without closing the sink. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /**
     * Reads exactly the payload, counting bytes and CRC, and marks failures of the underlying stream so they
     * are reported as I/O errors rather than as corruption.
     */
    private static final class PayloadInput extends BulkInputStream {
        private final InputStream in;
        private final long expected;
        private final CRC32C crc = new CRC32C();
        private long count;

        PayloadInput(InputStream in, long expected) {
            this.in = in;
            this.expected = expected;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (count >= expected) {
                return -1;
            }
            int want = (int) Math.min(len, expected - count);
            int n;
            try {
                n = in.read(b, off, want);
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
            if (n < 0) {
                return -1;
            }
            crc.update(b, off, n);
            count += n;
            return n;
        }

        void drain() throws IOException {
            byte[] buf = BUFFERS.take();
            try {
                while (read(buf, 0, buf.length) > 0) {
                    // counting and CRC happen in read
                }
            } finally {
                BUFFERS.give(buf);
            }
        }

        void checkComplete() throws IOException, MalformedObjectException {
            if (count < expected) {
                throw new MalformedObjectException("payload is " + count + " bytes, the header says " + expected + ": truncated");
            }
            int extra;
            try {
                extra = in.read();
            } catch (IOException e) {
                throw new SourceFailure(e).getCause();
            }
            if (extra >= 0) {
                throw new MalformedObjectException("has bytes after the payload the header describes");
            }
        }

        @Override
        public void close() {
            // the caller owns the underlying stream
        }

        /** An I/O error of the storage underneath, not a property of the object. */
        static final class SourceFailure extends IOException {
            SourceFailure(IOException cause) {
                super(cause);
            }

            @Override
            public synchronized IOException getCause() {
                return (IOException) super.getCause();
            }
        }
    }
}
