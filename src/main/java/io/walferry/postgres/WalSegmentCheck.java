package io.walferry.postgres;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Decides whether a file's first page belongs where its name says: the cluster's WAL version, system
 * identifier and segment size, the page address of the segment its name gives, and a timeline no later than
 * the name's (a new timeline's first segment starts with a copy of the old timeline's pages).
 */
public final class WalSegmentCheck {
    private WalSegmentCheck() {
    }

    /** A reason the segment is refused, or empty when it belongs to the cluster. */
    public static Optional<String> problem(WalFileName.Segment name, long fileSize, ByteBuffer firstPage,
                                           ClusterIdentity cluster) {
        if (fileSize != cluster.walSegmentSize()) {
            return Optional.of("is " + fileSize + " bytes, but WAL segments of this cluster are " + cluster.walSegmentSize());
        }
        if (!name.validFor(cluster.walSegmentSize())) {
            return Optional.of("is not a valid segment name for " + cluster.walSegmentSize() / (1024 * 1024) + " MB segments");
        }
        if (firstPage.remaining() < WalPageHeader.LONG_HEADER_SIZE) {
            return Optional.of("is too short to hold a WAL page header");
        }
        WalPageHeader h = WalPageHeader.read(firstPage);
        if (h.magic() != cluster.version().walMagic()) {
            return Optional.of(String.format("has WAL page magic 0x%04X, but PostgreSQL %s writes 0x%04X: it is not WAL of this "
                    + "cluster's version", h.magic(), cluster.version(), cluster.version().walMagic()));
        }
        if (!h.isLong()) {
            return Optional.of("does not start with a long page header: it is not the start of a WAL segment");
        }
        if (h.systemIdentifier() != cluster.systemIdentifier()) {
            return Optional.of("belongs to the cluster with system identifier " + Long.toUnsignedString(h.systemIdentifier())
                    + ", not " + cluster.systemIdentifierText() + ": it is WAL of another cluster");
        }
        if (h.segmentSize() != cluster.walSegmentSize()) {
            return Optional.of("was written with " + h.segmentSize() + "-byte segments, not " + cluster.walSegmentSize());
        }
        long expected = name.segmentNumber(cluster.walSegmentSize()) * cluster.walSegmentSize();
        if (h.pageAddress() != expected) {
            return Optional.of("starts at " + new Lsn(h.pageAddress()) + " but its name says " + new Lsn(expected)
                    + ": the file was renamed or recycled");
        }
        if (Integer.toUnsignedLong(h.timeline()) > Integer.toUnsignedLong(name.timeline()) || h.timeline() == 0) {
            return Optional.of("is on timeline " + h.timeline() + " but its name says timeline " + name.timeline());
        }
        return Optional.empty();
    }
}
