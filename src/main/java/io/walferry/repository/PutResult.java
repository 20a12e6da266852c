package io.walferry.repository;

/**
 * What storing one file did, and where its time went, for the agent's log: a DBA looking at a slow archive
 * should see at once whether compression, the disk or the repository is the bottleneck.
 */
public record PutResult(PutOutcome outcome, long originalBytes, long storedBytes, long writeNanos, long verifyNanos,
                        long publishNanos) {

    static PutResult alreadyStored(long originalBytes, long checkNanos) {
        return new PutResult(PutOutcome.ALREADY_STORED, originalBytes, 0, checkNanos, 0, 0);
    }

    /** e.g. "stored 16.0 MiB as 8.1 MiB: compress+write+fsync 41 ms, verify 3 ms, publish 1 ms". */
    public String summary() {
        if (outcome == PutOutcome.ALREADY_STORED) {
            return "already stored (identical), checked in " + writeNanos / 1_000_000 + " ms";
        }
        return String.format("stored %.1f MiB as %.1f MiB: compress+write+fsync %d ms, verify %d ms, publish %d ms",
                originalBytes / 1048576.0, storedBytes / 1048576.0, writeNanos / 1_000_000, verifyNanos / 1_000_000,
                publishNanos / 1_000_000);
    }
}
