package io.walferry.repository;

import io.walferry.config.CompressionType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The fixed 72-byte header in front of every stored object (format version 1, big-endian). It records how
 * the payload was encoded and what the original bytes were, so that every reader can verify what it hands
 * over. The byte layout is documented in docs/repository-format.md; change it only with a new version.
 *
 * @param compression      how the payload is compressed
 * @param encryption       0: none, 1: AES-256-GCM ({@link ObjectCipher})
 * @param originalSize     bytes before compression
 * @param payloadSize      stored bytes after the header
 * @param checksum         the checksum algorithm of the original bytes
 * @param checksumField    its value, left-aligned in 32 bytes
 * @param payloadCrc32c    CRC-32C of the stored payload, to check a copy without decoding it
 */
public record ObjectHeader(CompressionType compression, int encryption, long originalSize, long payloadSize,
                           ChecksumAlgorithm checksum, byte[] checksumField, int payloadCrc32c) {
    public static final int SIZE = 72;
    public static final int FORMAT_VERSION = 1;
    private static final byte[] MAGIC = "WFOB".getBytes(StandardCharsets.US_ASCII);

    /** e.g. "xxh64:1f2e3d4c5b6a7988". */
    public String checksumText() {
        return checksum.format(checksumField);
    }

    /** True when both describe the same original bytes. */
    public boolean sameContent(ObjectHeader other) {
        return describes(other.originalSize, other.checksum, other.checksumField);
    }

    /** True when this header describes original bytes of that size and checksum. */
    public boolean describes(long size, ChecksumAlgorithm algorithm, byte[] field) {
        return originalSize == size && checksum == algorithm && java.util.Arrays.equals(checksumField, field);
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) SIZE);
        b.put((byte) compression.id()).put((byte) encryption).put((byte) checksum.id()).put((byte) 0);
        b.putInt(0);
        b.putLong(originalSize).putLong(payloadSize).put(checksumField).putInt(payloadCrc32c);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 68);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Parses and checks a header; the message of the exception says what is wrong, for a corrupt-object error. */
    public static ObjectHeader decode(byte[] bytes, int length) throws MalformedObjectException {
        if (length < SIZE) {
            throw new MalformedObjectException("shorter than an object header (" + length + " bytes): truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE).order(ByteOrder.BIG_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new MalformedObjectException("does not start with the walferry object magic");
        }
        int version = Short.toUnsignedInt(b.getShort());
        int headerSize = Short.toUnsignedInt(b.getShort());
        if (version != FORMAT_VERSION || headerSize != SIZE) {
            throw new MalformedObjectException("has object format version " + version + "; this walferry reads version "
                    + FORMAT_VERSION + " (upgrade walferry)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 68);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, 68, 4).order(ByteOrder.BIG_ENDIAN).getInt()) {
            throw new MalformedObjectException("has a damaged header (CRC-32C mismatch)");
        }
        int compressionId = Byte.toUnsignedInt(b.get());
        int encryption = Byte.toUnsignedInt(b.get());
        int checksum = Byte.toUnsignedInt(b.get());
        b.get();
        b.getInt();
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
        byte[] field = new byte[ChecksumAlgorithm.FIELD_SIZE];
        b.get(field);
        int payloadCrc = b.getInt();
        return new ObjectHeader(compression, encryption, original, payload, algorithm, field, payloadCrc);
    }

    /** Why an object cannot be read: a damaged header, a truncated or altered payload. */
    public static final class MalformedObjectException extends Exception {
        public MalformedObjectException(String message) {
            super(message);
        }
    }
}
