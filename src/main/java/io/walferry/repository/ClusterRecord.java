package io.walferry.repository;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;

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
