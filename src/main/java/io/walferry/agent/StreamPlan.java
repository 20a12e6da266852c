package io.walferry.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the stream stores next, decided from plain values: nothing yet, a piece per repository that lacks received
 * bytes, or the whole segment once every byte of it arrived (docs/streaming.md).
 *
 * @param pieces   the pieces to store now, each from where its repository's stored prefix ends to what was received
 * @param complete the whole segment arrived: store it as archive-push would, not as pieces
 */
record StreamPlan(List<Piece> pieces, boolean complete) {
    static final StreamPlan WAIT = new StreamPlan(List.of(), false);

    /** Bytes {@code from} to {@code to} of the segment, for {@code repository}. */
    record Piece(String repository, long from, long to) {
    }

    /**
     * @param received    bytes of the segment received, from its start
     * @param storedEnds  per repository, where its stored prefix of the segment ends
     * @param waitedNanos how long the oldest byte not stored everywhere has waited
     */
    static StreamPlan of(long received, long segmentSize, Map<String, Long> storedEnds, long waitedNanos, Duration interval, long chunk) {
        return of(received, segmentSize, storedEnds, new Waits(waitedNanos, 0, 0), interval, chunk);
    }

    /** How long nothing has arrived after which received WAL is stored at once, if nothing was stored for an interval. */
    static final Duration QUIET = Duration.ofMillis(20);

    /**
     * The clocks the decision reads, in nanoseconds.
     *
     * @param waited     how long the oldest byte not stored everywhere has waited
     * @param quiet      how long since the last byte arrived
     * @param sinceStore how long since a piece was last stored
     */
    record Waits(long waited, long quiet, long sinceStore) {
    }

    /**
     * As above, and a lone commit is not held back for the interval: once the server has sent nothing more for
     * {@link #QUIET} and nothing was stored for an interval, what arrived is stored now. A stream of writes still
     * stores at most once an interval (or per chunk); a commit after an idle spell is stored within QUIET.
     */
    static StreamPlan of(long received, long segmentSize, Map<String, Long> storedEnds, Waits waits, Duration interval, long chunk) {
        if (received >= segmentSize) {
            return new StreamPlan(List.of(), true);
        }
        long behind = storedEnds.values().stream().mapToLong(Long::longValue).min().orElse(received);
        long pending = received - behind;
        boolean lone = waits.quiet() >= QUIET.toNanos() && waits.sinceStore() >= interval.toNanos();
        if (pending <= 0 || (waits.waited() < interval.toNanos() && pending < chunk && !lone)) {
            return WAIT;
        }
        List<Piece> pieces = new ArrayList<>();
        storedEnds.forEach((repository, end) -> {
            if (end < received) {
                pieces.add(new Piece(repository, end, received));
            }
        });
        return new StreamPlan(pieces, false);
    }

    /**
     * How far the slot may confirm, as bytes from the segment's start: where the shortest stored prefix of the
     * required repositories ends (what is durable in every one of them).
     */
    static long confirmable(Map<String, Long> requiredEnds) {
        return requiredEnds.values().stream().mapToLong(Long::longValue).min().orElse(0);
    }
}
