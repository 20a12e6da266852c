package io.walferry.router;

import io.prometheus.metrics.model.snapshots.Labels;
import io.walferry.monitor.MetricFamilies;

/** The router's {@code /metrics}: its stats in Prometheus' text format, every point labelled with the cluster. */
final class RouterMetrics {
    private RouterMetrics() {
    }

    static byte[] text(String cluster, RouterStats s) {
        MetricFamilies m = new MetricFamilies(Labels.of("cluster", cluster));
        m.gauge("walferry_router_clients", "Client connections the router holds.", s.clients());
        m.gauge("walferry_router_clients_waiting_for_primary", "Clients whose next transaction waits for a primary (a failover).",
                s.waitingForPrimary());
        s.primary().ifPresent(p -> m.gauge("walferry_router_primary", "1 for the node rw sends to.", 1, "node", p));
        s.readable().forEach(n -> m.gauge("walferry_router_replica_serves_reads", "1 for each replica ro sends reads to.", 1, "node", n));
        s.exclusions().forEach((n, c) -> m.counter("walferry_router_replica_exclusions",
                "Times a replica was taken out of the reads (lag, not streaming, unreachable).", c, "node", n));
        for (RouterStats.Pool p : s.pools()) {
            String[] l = {"pool", p.name(), "node", p.node(), "mode", p.mode()};
            m.gauge("walferry_router_pool_servers", "Server connections of a pool.", p.servers(), l);
            m.gauge("walferry_router_pool_servers_busy", "Server connections of a pool in use by a client.", p.busy(), l);
            m.gauge("walferry_router_pool_clients_waiting", "Clients waiting for a server connection of a pool.", p.waiting(), l);
            m.counter("walferry_router_pool_server_errors", "ErrorResponses the servers of a pool sent its clients.", p.errors(), l);
            m.counter("walferry_router_pool_client_received_bytes", "Bytes of the messages a pool's clients sent the router.",
                p.clientReceivedBytes(), l);
            m.counter("walferry_router_pool_client_sent_bytes", "Bytes of the messages the router sent a pool's clients.", p.clientSentBytes(), l);
            m.counter("walferry_router_pool_server_received_bytes", "Bytes of the messages a pool's servers sent the router.",
                p.serverReceivedBytes(), l);
            m.counter("walferry_router_pool_server_sent_bytes", "Bytes of the messages the router sent a pool's servers.", p.serverSentBytes(), l);
        }
        for (RouterStats.Route r : s.routes()) {
            String[] l = {"endpoint", r.endpoint(), "node", r.node()};
            m.counter("walferry_router_transactions", "Server connections handed to an endpoint's clients: one per transaction "
                    + "(transaction pooling) or session (session pooling).", r.transactions(), l);
            m.counter("walferry_router_queries", "Requests (Query, Sync, FunctionCall) an endpoint's clients sent a node.", r.queries(), l);
            m.counter("walferry_router_wait_seconds", "Time an endpoint's clients waited for a server connection.", r.waitSeconds(), l);
        }
        m.counter("walferry_router_reloads", "Configurations taken on by a reload (SIGHUP).", s.reloads());
        m.counter("walferry_router_reloads_refused", "Reloads refused (the configuration was not valid or needs a restart).",
                s.reloadsRefused());
        return m.text();
    }
}
