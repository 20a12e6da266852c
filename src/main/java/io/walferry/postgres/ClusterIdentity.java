package io.walferry.postgres;

/**
 * What makes WAL belong to one cluster: the system identifier initdb chose, the major version and the WAL
 * segment size. A repository is registered to one identity and refuses WAL of any other.
 */
public record ClusterIdentity(long systemIdentifier, PgVersion version, long walSegmentSize) {
    public String systemIdentifierText() {
        return Long.toUnsignedString(systemIdentifier);
    }
}
