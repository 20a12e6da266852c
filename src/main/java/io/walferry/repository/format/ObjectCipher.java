package io.walferry.repository.format;

import io.walferry.config.Secret;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.LongFunction;

/**
 * Client-side authenticated encryption of object payloads: AES-256-GCM, with a key of its own for every
 * object, in chunks so that neither side holds a whole object. The layout is in docs/repository-format.md:
 * <pre>
 *   payload = object salt (32 random bytes) || chunk 0 || chunk 1 || ... || last chunk
 *   chunk   = AES-256-GCM(AES key, nonce = chunk index (8 bytes) || 0 0 0 || last ? 1 : 0, AAD) of up to 1 MiB, with its 16-byte tag
 *   repository key = HMAC-SHA256(repository salt, configured secret)        (HKDF-SHA256 extract)
 *   format 2 (written):
 *     object key  = HMAC-SHA256(repository key, "walferry/object/v2" 0x00 || object salt || name || 0x01)
 *     AES key     = HMAC-SHA256(object key, "walferry/object/v2/aes-256-gcm" 0x01)
 *     content MAC = HMAC-SHA256(HMAC-SHA256(object key, "walferry/object/v2/content-mac" 0x01), original bytes)
 *     AAD         = header bytes 0..15 for every chunk but the last; header bytes 0..63 (with the MAC) for the last
 *   format 1 (read only):
 *     AES key     = HMAC-SHA256(repository key, "walferry/object/v1" 0x00 || object salt || name || 0x01), no AAD
 * </pre>
 * A fresh random salt per object gives a fresh key, so chunk nonces can simply count. The "last" flag makes
 * a truncation at a chunk boundary fail; the name in the key derivation makes an object moved to another
 * name fail; the header as AAD makes any change of it fail. The repository stores only {@link #fingerprint()},
 * never the key.
 */
public final class ObjectCipher {
    static final int SCHEME_AES_256_GCM = 1;
    static final int SALT = 32;
    static final int CHUNK = 1 << 20;
    static final int TAG = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] repositoryKey;

    private ObjectCipher(byte[] repositoryKey) {
        this.repositoryKey = repositoryKey;
    }

    /** A new random repository salt, hex, for a repository's registration. */
    public static String newSalt() {
        byte[] s = new byte[SALT];
        RANDOM.nextBytes(s);
        return HexFormat.of().formatHex(s);
    }

    public static ObjectCipher derive(Secret key, String saltHex) {
        return new ObjectCipher(hmac(HexFormat.of().parseHex(saltHex), key.reveal().getBytes(StandardCharsets.UTF_8)));
    }

    /** Identifies the key without revealing it: 16 bytes of an HMAC under it, hex. */
    public String fingerprint() {
        byte[] f = hmac(repositoryKey, "walferry/key-fingerprint/v1\u0001".getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(f, 0, 16);
    }

    /**
     * The name of a content-addressed object of this repository: an HMAC under a key of its own of the content's
     * SHA-256, so that the name confirms no guess of the content to a reader without the key.
     */
    public byte[] contentAddress(byte[] sha256) {
        byte[] addressKey = hmac(repositoryKey, "walferry/content-address/v1\u0001".getBytes(StandardCharsets.US_ASCII));
        return hmac(addressKey, sha256);
    }

    private byte[] objectKey(String version, byte[] salt, String name) {
        byte[] label = ("walferry/object/" + version + "\u0000").getBytes(StandardCharsets.US_ASCII);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer info = ByteBuffer.allocate(label.length + salt.length + n.length + 1);
        info.put(label).put(salt).put(n).put((byte) 1);
        return hmac(repositoryKey, info.array());
    }

    /** The two keys of a format 2 object, from its object key (HKDF-Expand, one block each). */
    private record Keys(SecretKeySpec aes, byte[] mac) {
        static Keys of(byte[] objectKey) {
            return new Keys(new SecretKeySpec(hmac(objectKey, "walferry/object/v2/aes-256-gcm\u0001".getBytes(StandardCharsets.US_ASCII)), "AES"),
                    hmac(objectKey, "walferry/object/v2/content-mac\u0001".getBytes(StandardCharsets.US_ASCII)));
        }
    }

    private Keys keys(byte[] salt, String name) {
        return Keys.of(objectKey("v2", salt, name));
    }

    /** A running HMAC-SHA256 under {@code key}, as a checksum hasher: the content MAC of a format 2 object. */
    private static ChecksumAlgorithm.Hasher contentMac(byte[] key) {
        Mac mac = mac(key);
        return new ChecksumAlgorithm.Hasher() {
            @Override
            public void update(byte[] b, int off, int len) {
                mac.update(b, off, len);
            }

            @Override
            public byte[] field() {
                return mac.doFinal();
            }
        };
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        return mac(key).doFinal(data);
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static byte[] nonce(long index, boolean last) {
        byte[] n = new byte[12];
        ByteBuffer.wrap(n).putLong(index);
        n[11] = (byte) (last ? 1 : 0);
        return n;
    }

    /**
     * A format 2 object being encrypted into {@code out} (its salt is written now): the stream to write the
     * compressed payload to, and the content MAC to feed the original bytes. Before the stream is closed,
     * {@link #authenticate} must say what the header will be: the last chunk carries it as associated data.
     */
    final class Sealing {
        private final Encrypting stream;
        private final ChecksumAlgorithm.Hasher mac;

        private Sealing(Encrypting stream, ChecksumAlgorithm.Hasher mac) {
            this.stream = stream;
            this.mac = mac;
        }

        OutputStream stream() {
            return stream;
        }

        ChecksumAlgorithm.Hasher contentMac() {
            return mac;
        }

        /** @param header bytes 0..63 of the header, given the payload's size (known when the last chunk is sealed) */
        void authenticate(LongFunction<byte[]> header) {
            stream.lastAad = header;
        }
    }

    /** Starts a format 2 object; {@code prefix} is its header's first 16 bytes, the associated data of every chunk but the last. */
    Sealing seal(OutputStream out, String name, byte[] prefix) throws IOException {
        byte[] salt = new byte[SALT];
        RANDOM.nextBytes(salt);
        out.write(salt);
        Keys k = keys(salt, name);
        return new Sealing(new Encrypting(out, k.aes(), prefix), contentMac(k.mac()));
    }

    /** A format 2 object being decrypted: the plaintext stream and the content MAC to check it with. */
    record Opening(InputStream stream, ChecksumAlgorithm.Hasher contentMac) {
    }

    /**
     * Opens a format 2 payload whose header is {@code header} (as stored); every chunk is authenticated, the
     * header with it, before any of it is returned.
     */
    Opening open(InputStream in, String name, byte[] header) throws IOException {
        Keys k = keys(readSalt(in), name);
        return new Opening(new Decrypting(in, k.aes(), Arrays.copyOf(header, ObjectHeader.PREFIX),
                Arrays.copyOf(header, ObjectHeader.AUTHENTICATED)), contentMac(k.mac()));
    }

    /** The content MAC a format 2 object whose payload starts with {@code payload} has for given content. */
    ChecksumAlgorithm.Hasher contentMacOf(InputStream payload, String name) throws IOException {
        return contentMac(keys(readSalt(payload), name).mac());
    }

    /** A stream of the plaintext of a format 1 payload {@code in}; every chunk is authenticated before any of it is returned. */
    InputStream decryptFormat1(InputStream in, String name) throws IOException {
        return new Decrypting(in, new SecretKeySpec(objectKey("v1", readSalt(in), name), "AES"), null, null);
    }

    private static byte[] readSalt(InputStream in) throws IOException {
        byte[] salt = in.readNBytes(SALT);
        if (salt.length < SALT) {
            throw new AuthenticationFailure("the encrypted payload is shorter than its salt");
        }
        return salt;
    }

    /** The payload's bytes were not produced by this key for this name: altered, truncated or moved. */
    static final class AuthenticationFailure extends IOException {
        AuthenticationFailure(String message) {
            super(message);
        }
    }

    private static Cipher aesGcm() throws IOException {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IOException("AES/GCM is not available in this JVM", e);
        }
    }

    private static final class Encrypting extends BlockOutputStream {
        private final OutputStream out;
        private final SecretKeySpec key;
        private final Cipher cipher;
        private final byte[] prefixAad;
        private final byte[] sealed = new byte[CHUNK + TAG];
        private LongFunction<byte[]> lastAad;
        private long written = SALT;
        private long index;
        private boolean closed;

        Encrypting(OutputStream out, SecretKeySpec key, byte[] prefixAad) throws IOException {
            super(new byte[CHUNK], CHUNK);
            this.out = out;
            this.key = key;
            this.prefixAad = prefixAad;
            this.cipher = aesGcm();
        }

        @Override
        protected void blockFull() throws IOException {
            seal(false);
        }

        private void seal(boolean last) throws IOException {
            if (last && lastAad == null) {
                throw new IllegalStateException("the header to authenticate was not given before the last chunk");
            }
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(index++, last)));
                cipher.updateAAD(last ? lastAad.apply(written + fill + TAG) : prefixAad);
                int n = cipher.doFinal(block, 0, fill, sealed, 0);
                out.write(sealed, 0, n);
                written += n;
                fill = 0;
            } catch (GeneralSecurityException e) {
                throw new IOException("encryption failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                seal(true);
                out.close();
            }
        }
    }

    private static final class Decrypting extends BulkInputStream {
        private final InputStream in;
        private final SecretKeySpec key;
        private final Cipher cipher;
        /** Associated data of the chunks but the last, and of the last; null for format 1 (none). */
        private final byte[] prefixAad;
        private final byte[] lastAad;
        private final byte[] sealed = new byte[CHUNK + TAG + 1];
        private final byte[] plain = new byte[CHUNK];
        private int carried;
        private int pos;
        private int limit;
        private long index;
        private boolean done;

        Decrypting(InputStream in, SecretKeySpec key, byte[] prefixAad, byte[] lastAad) throws IOException {
            this.in = in;
            this.key = key;
            this.prefixAad = prefixAad;
            this.lastAad = lastAad;
            this.cipher = aesGcm();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (pos == limit) {
                if (done) {
                    return -1;
                }
                nextChunk();
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(plain, pos, b, off, n);
            pos += n;
            return n;
        }

        private void nextChunk() throws IOException {
            // One byte beyond a full chunk tells whether another chunk follows.
            int have = carried + in.readNBytes(sealed, carried, sealed.length - carried);
            boolean last = have < sealed.length;
            int chunk = last ? have : CHUNK + TAG;
            if (chunk < TAG) {
                throw new AuthenticationFailure("chunk " + index + " is shorter than its tag: truncated");
            }
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(index, last)));
                if (prefixAad != null) {
                    cipher.updateAAD(last ? lastAad : prefixAad);
                }
                limit = cipher.doFinal(sealed, 0, chunk, plain, 0);
            } catch (AEADBadTagException e) {
                throw new AuthenticationFailure("chunk " + index + " fails authentication (AES-256-GCM)");
            } catch (GeneralSecurityException e) {
                throw new IOException("decryption failed: " + e.getMessage(), e);
            }
            index++;
            pos = 0;
            if (last) {
                done = true;
                carried = 0;
            } else {
                sealed[0] = sealed[CHUNK + TAG];
                carried = 1;
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
