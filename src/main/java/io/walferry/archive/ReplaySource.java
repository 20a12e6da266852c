package io.walferry.archive;

import io.walferry.config.WalferryConfig;
import io.walferry.repository.Repository;

import java.util.List;

/**
 * The repositories replay reads WAL from, in the configuration's order (archive-get and the prefetcher try them in
 * turn), opened without reading anything: archive-get starts a JVM per call.
 */
record ReplaySource(List<Repository> repositories) {
    static ReplaySource open(WalferryConfig config) {
        return new ReplaySource(config.repositories().stream().map(rc -> Repository.open(rc, config.cluster(), false)).toList());
    }

    /** The cluster's WAL segment size, from the first repository's registration (a read). */
    long segmentSize() {
        return repositories.get(0).requireClusterRecord().walSegmentSize();
    }
}
