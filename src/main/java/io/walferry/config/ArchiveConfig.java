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
    public static final Stream NO_STREAM = new Stream(false, Duration.ofSeconds(1), 4L << 20, false);

    /**
     * WAL streamed into the repositories.
     *
     * @param on       whether the primary's agent streams
     * @param interval how long received WAL waits at most before it is stored as a piece
     * @param chunk       how many received bytes are stored as a piece at once, whatever the interval
     * @param synchronous received WAL is stored at once, and the stream may be a synchronous standby
     */
    public record Stream(boolean on, Duration interval, long chunk, boolean synchronous) {
        /** How long received WAL waits before it is stored: nothing for a synchronous stream, commits wait for it. */
        public Duration storeAfter() {
            return synchronous ? Duration.ZERO : interval;
        }
    }
}
