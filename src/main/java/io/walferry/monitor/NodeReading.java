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
 */
public record NodeReading(Instant at, double seconds, Optional<NodeState> state, Optional<ReplicaLag> lag, ArchiveBacklog backlog,
                          Optional<RestoreState> restore) {

    /** A replica's lag in bytes and seconds, as {@code walferry_replica_lag_*} report it. */
    public record ReplicaLag(long bytes, double seconds) {
    }
}
