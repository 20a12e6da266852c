package io.walferry.agent;

import io.walferry.config.NodeConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** synchronized_standby_slots names the existing slots of the standbys that may be promoted. */
class StandbySlotsTest {
    private static final List<NodeConfig> NODES = List.of(node("pg1"), node("pg2"), node("Pg-3"), node("pg4"));

    private static NodeConfig node(String name) {
        return new NodeConfig(name, "r", "127.0.0.1", 5432, Path.of("/d"), Optional.empty());
    }

    @Test
    void theOtherNodesSlotsThatExistAndMayBePromoted() {
        List<String> slots = List.of("walferry_stream_pg1", "walferry_pg4", "walferry_pg_3", "walferry_pg2", "someone_else");
        assertThat(StandbySlots.value(slots, NODES, "pg1", n -> true)).isEqualTo("walferry_pg2,walferry_pg4,walferry_pg_3");
        assertThat(StandbySlots.value(slots, NODES, "pg1", n -> !n.equals("pg4"))).as("pg4 has nofailover")
                .isEqualTo("walferry_pg2,walferry_pg_3");
        assertThat(StandbySlots.value(List.of("walferry_pg1"), NODES, "pg1", n -> true)).as("its own slot from before a failover").isEmpty();
    }

    @Test
    void theSameSlotsInAnotherOrderNeedNoChange() {
        assertThat(StandbySlots.same("walferry_b, walferry_a", "walferry_a,walferry_b")).isTrue();
        assertThat(StandbySlots.same("", "")).isTrue();
        assertThat(StandbySlots.same("walferry_a", "walferry_a,walferry_b")).isFalse();
    }
}
