package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How WAL is archived.
 *
 * @param compression    for new objects
 * @param workers        parallel pushes by the agent
 * @param spoolDirectory the agent's working state; each node gets {@code <spool>/<cluster>/<node>}
 * @param timeout        how long check waits for a switched segment, and archive-push for the agent
 * @param prefetch       how many segments archive-get keeps fetched ahead of replay (0: none)
 * @param stream         whether the primary's agent streams WAL into the repositories as it is written (docs/streaming.md)
 */
public record ArchiveConfig(Compression compression, int workers, Path spoolDirectory, Duration timeout, int prefetch,
                            Stream stream) {
    /** Streaming off, with the default interval and chunk. */
    public static final Stream NO_STREAM = new Stream(false, Duration.ofSeconds(1), 4L << 20, false, Duration.ZERO,
            WithStandbys.BOTH, 4);

    /** How a synchronous archive joins the standbys of synchronous_standby_names (HA's or the user's). */
    public enum WithStandbys {
        /** A commit waits for the archive and for the standbys: one confirmation more, the archive first by priority. */
        BOTH,
        /** The archive counts as one standby more: with FIRST the last by priority, with ANY one of the quorum. */
        EITHER
    }

    /**
     * WAL streamed into the repositories.
     *
     * @param on       whether the primary's agent streams
     * @param interval how long received WAL waits at most before it is stored as a piece
     * @param chunk       how many received bytes are stored as a piece at once, whatever the interval
     * @param synchronous received WAL is stored at once, and the agent adds the stream to synchronous_standby_names
     * @param synchronousTimeout zero: commits wait for the archive however long; else the archive is dropped from the
     *                           synchronous set after the stream stored nothing for this long, and joins again once caught up
     * @param withStandbys how the archive joins the standbys the setting names
     * @param inFlight how many pieces of each repository may be being stored at once (their confirmations stay in order)
     */
    public record Stream(boolean on, Duration interval, long chunk, boolean synchronous, Duration synchronousTimeout,
                         WithStandbys withStandbys, int inFlight) {
        /** How long received WAL waits before it is stored: nothing for a synchronous stream, commits wait for it. */
        public Duration storeAfter() {
            return synchronous ? Duration.ZERO : interval;
        }
    }
}
