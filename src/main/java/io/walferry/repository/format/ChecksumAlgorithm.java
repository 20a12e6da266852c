package io.walferry.repository.format;

import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The checksum of an object's original bytes. XXH64 is the default: it detects corruption as well as a
 * cryptographic hash does for a fraction of SHA-256's CPU, and on a small server CPU is archive throughput
 * (docs/benchmarks.md). Tampering is a different threat, answered by authenticated encryption. The identifier is
 * stored in the object header; never reuse one.
 */
public enum ChecksumAlgorithm {
    SHA256(1, "sha256", 32),
    XXH64(2, "xxh64", 8),
    /**
     * An encrypted object's content MAC (object format 2): HMAC-SHA256 under a key derived from the object's key, so
     * that nothing about the content can be confirmed without the key. Its hasher comes from {@link ObjectCipher}.
     */
    HMAC_SHA256(3, "hmac-sha256", 32);

    /** Checksums are stored in a 32-byte field, left-aligned and zero-padded. */
    static final int FIELD_SIZE = 32;

    private final int id;
    private final String label;
    private final int length;

    ChecksumAlgorithm(int id, String label, int length) {
        this.id = id;
        this.label = label;
        this.length = length;
    }

    public int id() {
        return id;
    }

    public String label() {
        return label;
    }

    public static ChecksumAlgorithm fromId(int id) {
        for (ChecksumAlgorithm a : values()) {
            if (a.id == id) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown checksum algorithm " + id);
    }

    /** "xxh64:0123abcd..." for messages: only the meaningful bytes of the field. */
    public String format(byte[] field) {
        return label + ":" + HexFormat.of().formatHex(field, 0, length);
    }

    Hasher newHasher() {
        return switch (this) {
            case HMAC_SHA256 -> throw new IllegalStateException("an HMAC needs the object's key: ObjectCipher makes its hasher");
            case SHA256 -> new Hasher() {
                private final MessageDigest md = sha256();

                @Override
                public void update(byte[] b, int off, int len) {
                    md.update(b, off, len);
                }

                @Override
                public byte[] field() {
                    return md.digest();
                }
            };
            case XXH64 -> new Hasher() {
                private final StreamingXXHash64 h = XXHashFactory.fastestInstance().newStreamingHash64(0);

                @Override
                public void update(byte[] b, int off, int len) {
                    h.update(b, off, len);
                }

                @Override
                public byte[] field() {
                    byte[] f = new byte[FIELD_SIZE];
                    ByteBuffer.wrap(f).putLong(h.getValue());
                    h.close();
                    return f;
                }
            };
        };
    }

    /** A running checksum; {@link #field()} ends it. */
    interface Hasher {
        void update(byte[] b, int off, int len);

        byte[] field();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
