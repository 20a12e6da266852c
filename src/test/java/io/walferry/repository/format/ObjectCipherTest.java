package io.walferry.repository.format;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.Secret;
import io.walferry.repository.format.ObjectHeader.MalformedObjectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client-side encryption of objects: round trips at chunk edges, and every way of tampering refused. */
class ObjectCipherTest {
    private static final String SALT = ObjectCipher.newSalt();
    private static final ObjectCipher CIPHER = ObjectCipher.derive(new Secret("a".repeat(20) + "-0123456789abcdef", "inline"), SALT);
    private static final ObjectSeal SEAL = new ObjectSeal(CIPHER, "000000010000000000000003");
    private static final int CHUNK = ObjectCipher.CHUNK;

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    private static byte[] encode(byte[] original, Compression c, ObjectSeal seal) throws Exception {
        ObjectCodecTest.MemorySink sink = new ObjectCodecTest.MemorySink();
        ObjectCodec.encode(new ByteArrayInputStream(original), sink, c, seal);
        return sink.object();
    }

    private static byte[] decode(byte[] stored, ObjectSeal seal) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectCodec.decode(new ByteArrayInputStream(stored), out, seal);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17})
    void roundTripsAtEveryChunkEdge(int size) throws Exception {
        byte[] original = random(size);
        byte[] stored = encode(original, Compression.defaultFor(CompressionType.NONE), SEAL);
        assertThat(ObjectHeader.decode(stored, stored.length).encryption()).isEqualTo(ObjectCipher.SCHEME_AES_256_GCM);
        assertThat(decode(stored, SEAL)).isEqualTo(original);
        // the stored payload is not the plaintext (from 16 bytes on: one byte of ciphertext equals its plaintext
        // one time in 256, with a fresh nonce every run)
        if (size >= 16) assertThat(Arrays.copyOfRange(stored, ObjectHeader.SIZE + ObjectCipher.SALT, ObjectHeader.SIZE + ObjectCipher.SALT + Math.min(size, 64)))
                .isNotEqualTo(Arrays.copyOf(original, Math.min(size, 64)));
    }

    @Test
    void roundTripsWithEveryCompression() throws Exception {
        byte[] original = new byte[5 << 20];
        for (int i = 0; i < original.length; i++) {
            original[i] = (byte) (i / 1000);
        }
        for (CompressionType t : CompressionType.values()) {
            byte[] stored = encode(original, Compression.defaultFor(t), SEAL);
            assertThat(decode(stored, SEAL)).as(t.name()).isEqualTo(original);
            if (t != CompressionType.NONE) {
                assertThat(stored.length).as(t.name() + " compresses before it encrypts").isLessThan(original.length / 10);
            }
        }
    }

    @Test
    void twoObjectsOfTheSameContentDiffer() throws Exception {
        byte[] original = random(1000);
        assertThat(encode(original, Compression.defaultFor(CompressionType.NONE), SEAL))
                .isNotEqualTo(encode(original, Compression.defaultFor(CompressionType.NONE), SEAL));
    }

    @Test
    void theFingerprintIdentifiesTheKeyWithoutRevealingIt() {
        Secret key = new Secret("k".repeat(40), "inline");
        assertThat(ObjectCipher.derive(key, SALT).fingerprint()).isEqualTo(ObjectCipher.derive(key, SALT).fingerprint())
                .hasSize(32).doesNotContain("kkkk");
        assertThat(ObjectCipher.derive(new Secret("j".repeat(40), "inline"), SALT).fingerprint())
                .isNotEqualTo(ObjectCipher.derive(key, SALT).fingerprint());
    }

    /** Rewrites the payload CRC, as someone would who wants a changed object to pass the integrity check. */
    private static byte[] withValidCrc(byte[] stored) {
        CRC32C crc = new CRC32C();
        crc.update(stored, ObjectHeader.SIZE, stored.length - ObjectHeader.SIZE);
        ByteBuffer.wrap(stored, 64, 4).putInt((int) crc.getValue());
        CRC32C h = new CRC32C();
        h.update(stored, 0, 68);
        ByteBuffer.wrap(stored, 68, 4).putInt((int) h.getValue());
        return stored;
    }

    @Test
    void anyAlteredByteIsRefusedEvenWithItsCrcRewritten() throws Exception {
        byte[] stored = encode(random(2 * CHUNK + 100), Compression.defaultFor(CompressionType.NONE), SEAL);
        for (int at : new int[]{ObjectHeader.SIZE, ObjectHeader.SIZE + ObjectCipher.SALT + 5, ObjectHeader.SIZE + ObjectCipher.SALT + CHUNK + 3,
                stored.length - 1}) {
            byte[] bad = stored.clone();
            bad[at] ^= 0x01;
            assertThatThrownBy(() -> decode(bad, SEAL)).as("byte " + at + ", CRC not rewritten")
                    .isInstanceOf(MalformedObjectException.class).hasMessageContaining("altered");
            assertThatThrownBy(() -> decode(withValidCrc(bad.clone()), SEAL)).as("byte " + at + ", CRC rewritten")
                    .isInstanceOf(MalformedObjectException.class).hasMessageContaining("fails authentication");
        }
    }

    @Test
    void aTruncationAtAChunkBoundaryIsRefused() throws Exception {
        byte[] original = random(2 * CHUNK + 100);
        byte[] stored = encode(original, Compression.defaultFor(CompressionType.NONE), SEAL);
        int cut = ObjectHeader.SIZE + ObjectCipher.SALT + 2 * (CHUNK + ObjectCipher.TAG);
        byte[] shorter = Arrays.copyOf(stored, cut);
        // fix the payload size the header states, so that only the cipher can tell
        ByteBuffer.wrap(shorter, 24, 8).putLong(cut - ObjectHeader.SIZE);
        assertThatThrownBy(() -> decode(withValidCrc(shorter), SEAL))
                .isInstanceOf(MalformedObjectException.class).hasMessageContaining("fails authentication");
    }

    @Test
    void anObjectMovedToAnotherNameIsRefused() throws Exception {
        byte[] stored = encode(random(1000), Compression.defaultFor(CompressionType.LZ4), SEAL);
        assertThatThrownBy(() -> decode(stored, new ObjectSeal(CIPHER, "000000010000000000000004")))
                .isInstanceOf(MalformedObjectException.class).hasMessageContaining("fails authentication");
    }

    @Test
    void aPlainObjectInAnEncryptedRepositoryIsRefused() throws Exception {
        byte[] plain = encode(random(1000), Compression.defaultFor(CompressionType.LZ4), ObjectSeal.NONE);
        assertThatThrownBy(() -> decode(plain, SEAL)).isInstanceOf(MalformedObjectException.class).hasMessageContaining("not encrypted");
    }

    @Test
    void anEncryptedObjectWithoutAKeyAsksForTheKey() throws Exception {
        byte[] stored = encode(random(1000), Compression.defaultFor(CompressionType.LZ4), SEAL);
        assertThatThrownBy(() -> decode(stored, ObjectSeal.NONE)).isInstanceOf(ObjectSeal.KeyRequiredException.class);
        // checking a copy needs no key
        assertThat(ObjectCodec.checkStored(new ByteArrayInputStream(stored)).encryption()).isEqualTo(1);
    }

    @Test
    void aWrongKeyFailsAuthentication() throws Exception {
        byte[] stored = encode(random(1000), Compression.defaultFor(CompressionType.LZ4), SEAL);
        ObjectCipher other = ObjectCipher.derive(new Secret("b".repeat(40), "inline"), SALT);
        assertThatThrownBy(() -> decode(stored, new ObjectSeal(other, SEAL.name())))
                .isInstanceOf(MalformedObjectException.class).hasMessageContaining("fails authentication");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] digest(ChecksumAlgorithm a, byte[] content) {
        ChecksumAlgorithm.Hasher h = a.newHasher();
        h.update(content, 0, content.length);
        return Arrays.copyOf(h.field(), a == ChecksumAlgorithm.XXH64 ? 8 : 32);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4321, CHUNK + 1})
    void anEncryptedObjectShowsNoChecksumAndNoSizeOfItsContent(int size) throws Exception {
        byte[] original = random(size);
        for (CompressionType t : CompressionType.values()) {
            byte[] stored = encode(original, Compression.defaultFor(t), SEAL);
            byte[] header = Arrays.copyOf(stored, ObjectHeader.SIZE);
            assertThat(ByteBuffer.wrap(header, 4, 2).getShort()).as("format version").isEqualTo((short) 2);
            assertThat(ByteBuffer.wrap(header, 16, 8).getLong()).as("original size field").isZero();
            for (ChecksumAlgorithm a : new ChecksumAlgorithm[]{ChecksumAlgorithm.XXH64, ChecksumAlgorithm.SHA256}) {
                assertThat(contains(stored, digest(a, original))).as(t + ": " + a + " of the content in the object").isFalse();
            }
            if (size > 0) {
                assertThat(contains(header, ByteBuffer.allocate(8).putLong(size).array())).as(t + ": size in the header").isFalse();
            }
            assertThat(decode(stored, SEAL)).isEqualTo(original);
        }
    }

    @Test
    void aChangeOfAnyHeaderByteIsDetectedEvenWithItsCrcRewritten() throws Exception {
        byte[] stored = encode(random(CHUNK + 5000), Compression.defaultFor(CompressionType.LZ4), SEAL);
        for (int at = 0; at < ObjectHeader.SIZE; at++) {
            for (int bit : new int[]{0x01, 0x80}) {
                byte[] bad = stored.clone();
                bad[at] ^= (byte) bit;
                if (at < 68) {
                    CRC32C h = new CRC32C();
                    h.update(bad, 0, 68);
                    ByteBuffer.wrap(bad, 68, 4).putInt((int) h.getValue());
                }
                assertThatThrownBy(() -> decode(bad, SEAL)).as("header byte " + at + " ^ " + bit).isInstanceOf(MalformedObjectException.class);
            }
        }
    }

    @Test
    void anEncryptedObjectIsComparedWithAFileByItsContentMac() throws Exception {
        byte[] original = random(3000);
        byte[] stored = encode(original, Compression.defaultFor(CompressionType.LZ4), SEAL);
        ObjectHeader h = ObjectHeader.decode(stored, stored.length);
        assertThat(h.checksum()).isEqualTo(ChecksumAlgorithm.HMAC_SHA256);
        assertThat(ObjectCodec.checksumFor(new ByteArrayInputStream(stored), SEAL, new ByteArrayInputStream(original)))
                .isEqualTo(h.checksumField());
        byte[] other = original.clone();
        other[1000] ^= 1;
        assertThat(ObjectCodec.checksumFor(new ByteArrayInputStream(stored), SEAL, new ByteArrayInputStream(other)))
                .isNotEqualTo(h.checksumField());
        // the same content in another object (another salt) has another MAC: nothing links the two
        byte[] again = encode(original, Compression.defaultFor(CompressionType.LZ4), SEAL);
        assertThat(ObjectHeader.decode(again, again.length).checksumField()).isNotEqualTo(h.checksumField());
        assertThatThrownBy(() -> ObjectCodec.checksumFor(new ByteArrayInputStream(stored), ObjectSeal.NONE, new ByteArrayInputStream(original)))
                .isInstanceOf(ObjectSeal.KeyRequiredException.class);
    }

    @Test
    void aBackupChunkIsRecordedByAContentChecksumThatIsTheSameInEveryRepository() throws Exception {
        byte[] original = random(5000);
        ObjectSeal other = new ObjectSeal(ObjectCipher.derive(new Secret("c".repeat(40), "inline"), ObjectCipher.newSalt()), SEAL.name());
        ObjectCodecTest.MemorySink a = new ObjectCodecTest.MemorySink();
        ObjectCodecTest.MemorySink b = new ObjectCodecTest.MemorySink();
        ObjectCodecTest.MemorySink plain = new ObjectCodecTest.MemorySink();
        String recorded = ObjectCodec.encode(new ByteArrayInputStream(original), a, Compression.defaultFor(CompressionType.LZ4), SEAL)
                .contentChecksumText();
        assertThat(ObjectCodec.encode(new ByteArrayInputStream(original), b, Compression.defaultFor(CompressionType.ZSTD), other)
                .contentChecksumText()).isEqualTo(recorded);
        assertThat(ObjectCodec.encode(new ByteArrayInputStream(original), plain, Compression.NONE, ObjectSeal.NONE).contentChecksumText())
                .isEqualTo(recorded).startsWith("xxh64:");
        assertThat(ObjectCodec.decode(new ByteArrayInputStream(b.object()), OutputStream.nullOutputStream(), other).contentChecksumText())
                .isEqualTo(recorded);
    }
}
