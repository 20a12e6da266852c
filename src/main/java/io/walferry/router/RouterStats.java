package io.walferry.router;

import java.util.List;
import java.util.Optional;

/**
 * One look at the router: where it routes, its clients, the clients waiting for a primary, and each pool.
 *
 * @param waitingForPrimary clients whose next transaction waits for a primary (a failover under way)
 */
public record RouterStats(Optional<String> primary, List<String> readable, int clients, int waitingForPrimary, List<Pool> pools) {
    public RouterStats {
        readable = List.copyOf(readable);
        pools = List.copyOf(pools);
    }

    /** A pool: its server connections, those in use by a client, the clients waiting for one, the errors its servers sent. */
    public record Pool(String name, String mode, int servers, int busy, int waiting, long errors) {
    }
}
