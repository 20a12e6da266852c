package io.walferry.backup;

import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import io.walferry.repository.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@code walferry expire} for the streamed pieces of one repository: reads, lets {@link StreamPiecePlan} decide, removes. */
public final class StreamPieceExpiry {
    private static final Logger LOG = LoggerFactory.getLogger(StreamPieceExpiry.class);
    /** Longer than a stream takes from storing a segment whole to removing its pieces. */
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(10);

    /** What was (or, in a dry run, would be) removed: the pieces of {@code segmentsRemoved}. */
    public record Result(List<String> segmentsRemoved, int piecesRemoved, int segmentsYoung) {
    }

    private final Repository repository;

    public StreamPieceExpiry(Repository repository) {
        this.repository = repository;
    }

    public Result apply(Duration grace, Instant now, boolean dryRun) {
        List<StreamPiecePlan.Streamed> streamed = new ArrayList<>();
        for (WalFileName.Segment s : repository.streamedSegments()) {
            List<Storage.Entry> pieces = repository.streamPieceEntries(s);
            Instant newest = pieces.stream().map(Storage.Entry::modified).max(Instant::compareTo).orElse(Instant.EPOCH);
            streamed.add(new StreamPiecePlan.Streamed(s, repository.walHeader(s).isPresent(), newest));
        }
        StreamPiecePlan plan = StreamPiecePlan.decide(streamed, now, grace);
        int pieces = 0;
        for (WalFileName.Segment s : plan.removed()) {
            pieces += repository.streamPieceEntries(s).size();
            if (!dryRun) {
                repository.deleteStreamPieces(s);
                LOG.info("removed the streamed pieces of {} in repository {}: the segment is stored whole", s.fileName(), repository.name());
            }
        }
        return new Result(plan.removed().stream().map(WalFileName.Segment::fileName).toList(), pieces, plan.young().size());
    }
}
