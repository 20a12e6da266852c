package io.walferry.router;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One look at the router: where it routes, its clients, the clients waiting for a primary, each pool, what each endpoint
 * sent to each node, and how often each replica was taken out of the reads.
 *
 * @param waitingForPrimary clients whose next transaction waits for a primary (a failover under way)
 * @param exclusions        by node: how often it stopped serving reads (lag, not streaming, unreachable) since the start
 * @param reloads           configurations taken on by a reload (SIGHUP), and those refused
 */
public record RouterStats(Optional<String> primary, List<String> readable, int clients, int waitingForPrimary, List<Pool> pools,
                          List<Route> routes, Map<String, Long> exclusions, long reloads, long reloadsRefused) {
    public RouterStats {
        readable = List.copyOf(readable);
        pools = List.copyOf(pools);
        routes = List.copyOf(routes);
        exclusions = Map.copyOf(exclusions);
    }

    /**
     * A pool: its server connections, those in use by a client, the clients waiting for one, the errors its servers sent,
     * and the bytes of the messages it relayed: received from its clients and sent to them, received from its servers and
     * sent to them.
     */
    public record Pool(String name, String node, String mode, int servers, int busy, int waiting, long errors, long clientReceivedBytes,
                       long clientSentBytes, long serverReceivedBytes, long serverSentBytes) {
        public Pool(String name, String node, String mode, int servers, int busy, int waiting, long errors) {
            this(name, node, mode, servers, busy, waiting, errors, 0, 0, 0, 0);
        }
    }

    /**
     * What one endpoint sent to one node: server connections handed to its clients (one per transaction in transaction
     * mode, per session in session mode), requests (Query, Sync, FunctionCall), and the time its clients waited for a
     * server connection.
     */
    public record Route(String endpoint, String node, long transactions, long queries, double waitSeconds) {
    }
}
