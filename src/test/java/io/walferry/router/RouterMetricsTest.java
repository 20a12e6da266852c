package io.walferry.router;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The router's stats as Prometheus text and as the JSON walferry router status reads. */
class RouterMetricsTest {
    private static final RouterStats STATS = new RouterStats(Optional.of("pg1"), List.of("pg2"), 12, 1,
            List.of(new RouterStats.Pool("pg1/app/appdb", "pg1", "transaction", 4, 3, 2, 5, 100, 2000, 2100, 110)),
            List.of(new RouterStats.Route("rw", "pg1", 100, 250, 1.5), new RouterStats.Route("ro", "pg2", 40, 40, 0)),
            Map.of("pg2", 2L), 1, 1);

    @Test
    void everyFigureIsAMetricWithItsLabels() {
        String text = new String(RouterMetrics.text("main", STATS), StandardCharsets.UTF_8);
        assertThat(text)
                .contains("walferry_router_clients{cluster=\"main\"} 12")
                .contains("walferry_router_clients_waiting_for_primary{cluster=\"main\"} 1")
                .contains("walferry_router_primary{cluster=\"main\",node=\"pg1\"} 1")
                .contains("walferry_router_replica_serves_reads{cluster=\"main\",node=\"pg2\"} 1")
                .contains("walferry_router_replica_exclusions_total{cluster=\"main\",node=\"pg2\"} 2")
                .contains("walferry_router_pool_servers{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 4")
                .contains("walferry_router_pool_servers_busy{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 3")
                .contains("walferry_router_pool_clients_waiting{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 2")
                .contains("walferry_router_transactions_total{cluster=\"main\",endpoint=\"rw\",node=\"pg1\"} 100")
                .contains("walferry_router_queries_total{cluster=\"main\",endpoint=\"ro\",node=\"pg2\"} 40")
                .contains("walferry_router_wait_seconds_total{cluster=\"main\",endpoint=\"rw\",node=\"pg1\"} 1.5")
                .contains("walferry_router_pool_client_received_bytes_total{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 100")
                .contains("walferry_router_pool_client_sent_bytes_total{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 2000")
                .contains("walferry_router_pool_server_received_bytes_total{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 2100")
                .contains("walferry_router_pool_server_sent_bytes_total{cluster=\"main\",mode=\"transaction\",node=\"pg1\",pool=\"pg1/app/appdb\"} 110")
                .contains("walferry_router_reloads_refused_total{cluster=\"main\"} 1");
    }

    @Test
    void statusJsonNamesEveryFieldInSnakeCase() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(RouterStatusJson.write(STATS));
        assertThat(json.get("primary").asText()).isEqualTo("pg1");
        assertThat(json.get("waiting_for_primary").asInt()).isEqualTo(1);
        assertThat(json.get("pools").get(0).get("busy").asInt()).isEqualTo(3);
        assertThat(json.get("pools").get(0).get("client_sent_bytes").asLong()).isEqualTo(2000);
        assertThat(json.get("pools").get(0).get("server_received_bytes").asLong()).isEqualTo(2100);
        assertThat(json.get("routes").get(0).get("wait_seconds").asDouble()).isEqualTo(1.5);
        assertThat(json.get("replica_exclusions").get("pg2").asLong()).isEqualTo(2);
        var none = new RouterStats(Optional.empty(), List.of(), 0, 0, List.of(), List.of(), Map.of(), 0, 0);
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(RouterStatusJson.write(none)).get("primary").isNull()).isTrue();
    }
}
