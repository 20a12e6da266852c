package io.walferry.backup;

import io.walferry.postgres.WalFileName;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Which streamed pieces {@code walferry expire} removes, decided from plain values: those of a segment stored whole
 * (the whole segment supersedes them: archive-get and recovery read it first), once the newest piece is older than the
 * grace. The stream removes its pieces itself right after it stores the segment; expire removes what a stop in between
 * left. Pieces of a segment not stored whole are kept: they are the newest WAL there is of it (docs/streaming.md).
 *
 * @param removed the segments whose pieces go
 * @param young   segments stored whole whose pieces are kept for now (younger than the grace)
 */
public record StreamPiecePlan(List<WalFileName.Segment> removed, List<WalFileName.Segment> young) {
    /** A segment with pieces: whether it is stored whole, and when its newest piece was written. */
    public record Streamed(WalFileName.Segment segment, boolean storedWhole, Instant newestPiece) {
    }

    public static StreamPiecePlan decide(List<Streamed> streamed, Instant now, Duration grace) {
        List<Streamed> superseded = streamed.stream().filter(Streamed::storedWhole).toList();
        return new StreamPiecePlan(
                superseded.stream().filter(s -> !s.newestPiece().isAfter(now.minus(grace))).map(Streamed::segment).toList(),
                superseded.stream().filter(s -> s.newestPiece().isAfter(now.minus(grace))).map(Streamed::segment).toList());
    }
}
