package io.walferry.repository;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;

import java.io.IOException;
import java.io.InputStream;

/**
 * The registration of one cluster in a repository ({@code <cluster>/cluster.json}): the identity that every
 * archived segment must match.
 */
public record ClusterRecord(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("cluster") String cluster,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_version") int pgVersion,
        @JsonProperty("wal_segment_size") long walSegmentSize,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("created_by") String createdBy,
        @JsonProperty("encryption") @JsonInclude(JsonInclude.Include.NON_NULL) EncryptionRecord encryption) {

    /**
     * How the cluster's objects in this repository are encrypted: the cipher, the salt the repository key is
     * derived with, and that key's fingerprint; never the key.
     */
    public record EncryptionRecord(@JsonProperty("cipher") String cipher, @JsonProperty("kdf") String kdf,
                                   @JsonProperty("salt") String salt, @JsonProperty("key_fingerprint") String keyFingerprint) {
    }

    public static final int FORMAT_VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Reads a stored registration; properties it does not know are skipped, missing ones are 0 or null. Every
     * archive-get and archive-push JVM reads this file first, and replay waits for such a JVM's start: read token
     * by token it costs little, where an ObjectMapper's start and its introspection of this record are a large part
     * of that start (docs/benchmarks.md, "Replay from the archive (prefetch)"). Written with the annotations above.
     */
    public static ClusterRecord read(InputStream in) throws IOException {
        int formatVersion = 0, pgVersion = 0;
        long walSegmentSize = 0;
        String cluster = null, systemIdentifier = null, createdAt = null, createdBy = null;
        EncryptionRecord encryption = null;
        try (JsonParser p = JSON.createParser(in)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "format_version" -> formatVersion = p.getIntValue();
                    case "cluster" -> cluster = text(p, value);
                    case "system_identifier" -> systemIdentifier = text(p, value);
                    case "pg_version" -> pgVersion = p.getIntValue();
                    case "wal_segment_size" -> walSegmentSize = p.getLongValue();
                    case "created_at" -> createdAt = text(p, value);
                    case "created_by" -> createdBy = text(p, value);
                    case "encryption" -> encryption = value == JsonToken.VALUE_NULL ? null : readEncryption(p, value);
                    default -> p.skipChildren();
                }
            }
            expect(p, p.currentToken(), JsonToken.END_OBJECT);
        }
        return new ClusterRecord(formatVersion, cluster, systemIdentifier, pgVersion, walSegmentSize, createdAt, createdBy, encryption);
    }

    private static EncryptionRecord readEncryption(JsonParser p, JsonToken start) throws IOException {
        expect(p, start, JsonToken.START_OBJECT);
        String cipher = null, kdf = null, salt = null, keyFingerprint = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "cipher" -> cipher = text(p, value);
                case "kdf" -> kdf = text(p, value);
                case "salt" -> salt = text(p, value);
                case "key_fingerprint" -> keyFingerprint = text(p, value);
                default -> p.skipChildren();
            }
        }
        expect(p, p.currentToken(), JsonToken.END_OBJECT);
        return new EncryptionRecord(cipher, kdf, salt, keyFingerprint);
    }

    /** A string property's value; null for JSON null. */
    private static String text(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p, value, JsonToken.VALUE_STRING);
        return p.getText();
    }

    private static void expect(JsonParser p, JsonToken actual, JsonToken wanted) throws IOException {
        if (actual != wanted) {
            throw new com.fasterxml.jackson.core.JsonParseException(p, "expected " + wanted + ", found " + actual);
        }
    }

    public static ClusterRecord of(String cluster, ClusterIdentity id, String createdAt, String createdBy) {
        return new ClusterRecord(FORMAT_VERSION, cluster, id.systemIdentifierText(), id.version().major(),
                id.walSegmentSize(), createdAt, createdBy, null);
    }

    public ClusterRecord withEncryption(EncryptionRecord e) {
        return new ClusterRecord(formatVersion, cluster, systemIdentifier, pgVersion, walSegmentSize, createdAt, createdBy, e);
    }

    public ClusterIdentity identity() {
        return new ClusterIdentity(Long.parseUnsignedLong(systemIdentifier), new PgVersion(pgVersion), walSegmentSize);
    }

    public boolean sameIdentity(ClusterIdentity other) {
        return identity().equals(other);
    }
}
