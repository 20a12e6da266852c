package io.walferry.config;

/**
 * Client-side encryption of a repository's objects (AES-256-GCM). The key is a secret of at least 32
 * characters of high entropy (for example {@code openssl rand -base64 48}); the repository records only its
 * fingerprint.
 */
public record EncryptionConfig(Secret key) {
    public static final int MIN_KEY_LENGTH = 32;
}
