package io.walferry.config;

import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Client-side encryption of a repository's objects (AES-256-GCM). The key must be at least 32 random bytes,
 * written as base64 or hex (for example {@code openssl rand -base64 48}): the repository records its
 * fingerprint, which anyone who can read the repository can test guesses against, so a key must be beyond
 * guessing. A weaker key is accepted only with {@code legacyWeakKey}, to keep using a repository an earlier
 * walferry created with it; no new repository is created with one.
 *
 * @param legacyWeakKey the key is weaker than that, and the configuration allows it for an existing repository
 */
public record EncryptionConfig(Secret key, boolean legacyWeakKey) {
    public static final int MIN_KEY_BYTES = 32;
    private static final Pattern HEX = Pattern.compile("(?:[0-9a-fA-F]{2})+");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]+={0,2}");
    /** A key of 32 random bytes has about 30 distinct byte values; fewer than this is a pattern, not randomness. */
    private static final int MIN_DISTINCT = 16;

    public EncryptionConfig(Secret key) {
        this(key, false);
    }

    /**
     * How many bytes of randomness {@code text} can carry, as its base64 or hex decoding (line breaks ignored);
     * 0 when it decodes to neither, or does not look like the output of a random generator: base64 of one
     * has upper- and lower-case letters and digits, hex letters and digits (a random key of 32 bytes lacks one
     * of them about once in 50,000), and 32 random bytes have more than 16 distinct values. Words written as
     * base64 would pass for a key otherwise.
     */
    public static int decodedBytes(String text) {
        String t = text.replaceAll("[\\r\\n]", "");
        byte[] bytes;
        if (HEX.matcher(t).matches()) {
            if (!has(t, "[0-9]") || !has(t, "[a-fA-F]")) {
                return 0;
            }
            bytes = HexFormat.of().parseHex(t);
        } else if (BASE64.matcher(t).matches() && t.replace("=", "").length() % 4 != 1) {
            if (!has(t, "[0-9]") || !has(t, "[a-z]") || !has(t, "[A-Z]")) {
                return 0;
            }
            String padless = t.replace("=", "");
            bytes = (padless.contains("-") || padless.contains("_") ? Base64.getUrlDecoder() : Base64.getDecoder())
                    .decode(padless + "=".repeat((4 - padless.length() % 4) % 4));
        } else {
            return 0;
        }
        boolean[] seen = new boolean[256];
        int distinct = 0;
        for (byte b : bytes) {
            if (!seen[b & 0xFF]) {
                seen[b & 0xFF] = true;
                distinct++;
            }
        }
        return bytes.length >= MIN_KEY_BYTES && distinct <= MIN_DISTINCT ? 0 : bytes.length;
    }

    private static boolean has(String t, String characterClass) {
        return Pattern.compile(characterClass).matcher(t).find();
    }
}
