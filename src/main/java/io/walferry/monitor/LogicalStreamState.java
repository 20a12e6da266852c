package io.walferry.monitor;

import java.time.Instant;
import java.util.Optional;

/**
 * A logical replication stream as the agent last read it (the logical package reads it, as walferry logical status does;
 * monitor sits below it).
 *
 * @param stream          the stream's name
 * @param readAt          when it was read
 * @param phase           copying, streaming, cut over; empty when the target could not tell
 * @param running         a process streams its slot now
 * @param readable        both its source and its target answered
 * @param failed          the stream recorded an error and no process streams it
 * @param behindBytes     the source's WAL the stream has not confirmed
 * @param lagSeconds      how long the source's WAL waits until the target has it (see {@code StreamStatus})
 * @param retainedBytes   the WAL its slot holds back on the source
 */
public record LogicalStreamState(String stream, Instant readAt, Optional<String> phase, boolean running, boolean readable, boolean failed,
                                 Optional<Long> behindBytes, Optional<Double> lagSeconds, Optional<Long> retainedBytes) {
}
