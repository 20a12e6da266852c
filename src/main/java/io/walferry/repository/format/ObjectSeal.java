package io.walferry.repository.format;

/**
 * How one object's payload is encrypted: with a repository's cipher under the object's name, or not at all.
 *
 * @param cipher null for a repository without encryption
 * @param name   the object's name, bound into its key so that a copy moved to another name fails to decrypt
 */
public record ObjectSeal(ObjectCipher cipher, String name) {
    public static final ObjectSeal NONE = new ObjectSeal(null, "");

    int scheme() {
        return cipher == null ? 0 : ObjectCipher.SCHEME_AES_256_GCM;
    }

    /** An encrypted object read without a key: a configuration problem, not damage. */
    public static final class KeyRequiredException extends java.io.IOException {
        KeyRequiredException() {
            super("the object is encrypted and no key is configured");
        }
    }
}
