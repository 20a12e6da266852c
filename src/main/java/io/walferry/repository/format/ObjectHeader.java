package io.walferry.repository.format;

import io.walferry.config.CompressionType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The fixed 72-byte header in front of every stored object (big-endian). It records how the payload was
 * encoded and what the original bytes were, so that every reader can verify what it hands over. The byte
 * layout is documented in docs/repository-format.md; change it only with a new version.
 * <ul>
 * <li>Version 1: plain objects, and the encrypted objects of earlier walferry versions (read, never written):
 * the original size and checksum stand in the clear.</li>
 * <li>Version 2: encrypted objects. The original size is not stored (0), the checksum field holds an
 * HMAC-SHA256 of the content under a key derived from the object's key, and bytes 0 to 63 are authenticated
 * by AES-GCM as associated data ({@link ObjectCipher}).</li>
 * </ul>
 *
 * @param version          the object format version
 * @param compression      how the payload is compressed
 * @param encryption       0: none, 1: AES-256-GCM ({@link ObjectCipher})
 * @param originalSize     bytes before compression; -1 when not known (a version 2 header read from storage)
 * @param payloadSize      stored bytes after the header
 * @param checksum         the checksum algorithm of the original bytes
 * @param checksumField    its value, left-aligned in 32 bytes
 * @param payloadCrc32c    CRC-32C of the stored payload, to check a copy without decoding it
 * @param contentXxh64     not stored: for a version 2 object that was just encoded or decoded, the XXH64 field of its
 *                         content, the same in every repository (a content MAC differs with every object); else null
 */
public record ObjectHeader(int version, CompressionType compression, int encryption, long originalSize, long payloadSize,
                           ChecksumAlgorithm checksum, byte[] checksumField, int payloadCrc32c, byte[] contentXxh64) {
    public static final int SIZE = 72;
    /** The version plain objects are written with. */
    static final int PLAIN_VERSION = 1;
    /** The version encrypted objects are written with. */
    public static final int ENCRYPTED_VERSION = 2;
    /** Bytes 0 to 63: all but the two CRCs, which depend on the ciphertext (and on themselves). */
    static final int AUTHENTICATED = 64;
    static final int PREFIX = 16;
    private static final byte[] MAGIC = "WFOB".getBytes(StandardCharsets.US_ASCII);

    /** e.g. "xxh64:1f2e3d4c5b6a7988". */
    public String checksumText() {
        return checksum.format(checksumField);
    }

    /**
     * The checksum of the content that does not depend on the object's encryption (what a backup manifest records):
     * the stored checksum of a version 1 object; the XXH64 of a version 2 object's content once it was encoded or
     * decoded.
     */
    public String contentChecksumText() {
        if (version != ENCRYPTED_VERSION) {
            return checksumText();
        }
        if (contentXxh64 == null) {
            throw new IllegalStateException("the content checksum of an encrypted object is known only once it is decoded");
        }
        return ChecksumAlgorithm.XXH64.format(contentXxh64);
    }

    /** False for a version 2 header read from storage: its original size is known only to who can decrypt it. */
    public boolean sizeKnown() {
        return originalSize >= 0;
    }

    /** The same header, with what decoding found out: the original size and, for version 2, the content's XXH64. */
    ObjectHeader decoded(long size, byte[] xxh64) {
        return new ObjectHeader(version, compression, encryption, size, payloadSize, checksum, checksumField, payloadCrc32c, xxh64);
    }

    /** True when both describe the same original bytes. */
    boolean sameContent(ObjectHeader other) {
        return describes(other.originalSize, other.checksum, other.checksumField);
    }

    /** True when this header describes original bytes of that size and checksum. */
    public boolean describes(long size, ChecksumAlgorithm algorithm, byte[] field) {
        return (!sizeKnown() || originalSize == size) && checksum == algorithm && Arrays.equals(checksumField, field);
    }

    /** The first 16 bytes: what the header says before anything is encoded (version, compression, encryption, algorithm). */
    static byte[] prefix(int version, CompressionType compression, int encryption, ChecksumAlgorithm checksum) {
        ByteBuffer b = ByteBuffer.allocate(PREFIX).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC).putShort((short) version).putShort((short) SIZE);
        b.put((byte) compression.id()).put((byte) encryption).put((byte) checksum.id()).put((byte) 0);
        b.putInt(0);
        return b.array();
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(prefix(version, compression, encryption, checksum));
        b.putLong(version == ENCRYPTED_VERSION ? 0 : originalSize).putLong(payloadSize).put(checksumField).putInt(payloadCrc32c);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 68);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Bytes 0 to 63 of the header as stored: the associated data of an encrypted object's last chunk. */
    byte[] authenticated() {
        return Arrays.copyOf(encode().array(), AUTHENTICATED);
    }

    /** Parses and checks a header; the message of the exception says what is wrong, for a corrupt-object error. */
    public static ObjectHeader decode(byte[] bytes, int length) throws MalformedObjectException {
        if (length < SIZE) {
            throw new MalformedObjectException("shorter than an object header (" + length + " bytes): truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE).order(ByteOrder.BIG_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new MalformedObjectException("does not start with the walferry object magic");
        }
        int version = Short.toUnsignedInt(b.getShort());
        int headerSize = Short.toUnsignedInt(b.getShort());
        if ((version != PLAIN_VERSION && version != ENCRYPTED_VERSION) || headerSize != SIZE) {
            throw new MalformedObjectException("has object format version " + version + "; this walferry reads versions "
                    + PLAIN_VERSION + " and " + ENCRYPTED_VERSION + " (upgrade walferry)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 68);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, 68, 4).order(ByteOrder.BIG_ENDIAN).getInt()) {
            throw new MalformedObjectException("has a damaged header (CRC-32C mismatch)");
        }
        int compressionId = Byte.toUnsignedInt(b.get());
        int encryption = Byte.toUnsignedInt(b.get());
        int checksum = Byte.toUnsignedInt(b.get());
        int flags = Byte.toUnsignedInt(b.get());
        int reserved = b.getInt();
        ChecksumAlgorithm algorithm;
        try {
            algorithm = ChecksumAlgorithm.fromId(checksum);
        } catch (IllegalArgumentException e) {
            throw new MalformedObjectException("uses checksum algorithm " + checksum + ", unknown to this walferry");
        }
        if (encryption != 0 && encryption != ObjectCipher.SCHEME_AES_256_GCM) {
            throw new MalformedObjectException("is encrypted with scheme " + encryption + ", unknown to this walferry");
        }
        CompressionType compression;
        try {
            compression = CompressionType.fromId(compressionId);
        } catch (IllegalArgumentException e) {
            throw new MalformedObjectException("uses compression " + compressionId + ", unknown to this walferry");
        }
        long original = b.getLong();
        long payload = b.getLong();
        if (original < 0 || payload < 0) {
            throw new MalformedObjectException("states a size beyond 2^63 bytes");
        }
        // Every writer leaves flags and reserved 0; version 2 is encrypted, with a content MAC and no size.
        boolean hmac = algorithm == ChecksumAlgorithm.HMAC_SHA256;
        if (flags != 0 || reserved != 0 || (version == ENCRYPTED_VERSION ? encryption == 0 || !hmac || original != 0 : hmac)) {
            throw new MalformedObjectException("has a version " + version + " header with fields that version does not allow");
        }
        byte[] field = new byte[ChecksumAlgorithm.FIELD_SIZE];
        b.get(field);
        int payloadCrc = b.getInt();
        return new ObjectHeader(version, compression, encryption, version == ENCRYPTED_VERSION ? -1 : original, payload, algorithm,
                field, payloadCrc, null);
    }

    /** Why an object cannot be read: a damaged header, a truncated or altered payload. */
    public static final class MalformedObjectException extends Exception {
        public MalformedObjectException(String message) {
            super(message);
        }
    }
}
