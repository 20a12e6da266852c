package io.walferry.monitor;

import io.walferry.postgres.NodeState;

import java.time.Instant;
import java.util.Optional;

/**
 * The node as the agent last read it, in the background: what a scrape reports, with when it was read.
 *
 * @param at      when the reading started
 * @param seconds how long it took (the node's queries and the {@code .ready} backlog)
 * @param state   the server; empty when it did not answer
 * @param lag     a replica's lag at the reading; empty on a primary, or before the primary's position is known
 * @param backlog the WAL files that wait to be archived
 * @param restore the restore that made the node's data directory, if it recorded one
 * @param walStreamLag on a primary with archive.stream, how far its stream into the repositories is behind: the WAL
 *                     after the stream slot's restart_lsn (what every required repository holds), and how long ago the
 *                     primary wrote the first of it (0 when all is stored, however long the primary has been idle)
 */
public record NodeReading(Instant at, double seconds, Optional<NodeState> state, Optional<ReplicaLag> lag, ArchiveBacklog backlog,
                          Optional<RestoreState> restore, Optional<ReplicaLag> walStreamLag) {

    public NodeReading(Instant at, double seconds, Optional<NodeState> state, Optional<ReplicaLag> lag, ArchiveBacklog backlog,
                       Optional<RestoreState> restore) {
        this(at, seconds, state, lag, backlog, restore, Optional.empty());
    }

    /** A replica's lag in bytes and seconds, as {@code walferry_replica_lag_*} report it. */
    public record ReplicaLag(long bytes, double seconds) {
    }
}
