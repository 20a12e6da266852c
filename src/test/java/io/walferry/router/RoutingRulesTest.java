package io.walferry.router;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.ServerPosition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingRulesTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final long MB = 1 << 20;

    private static Optional<ServerPosition> primaryAt(long lsn) {
        return Optional.of(new ServerPosition(false, false, Optional.of(new Lsn(lsn)), Optional.empty(), false));
    }

    private static Optional<ServerPosition> replicaAt(long replayed, boolean streaming) {
        return Optional.of(new ServerPosition(true, false, Optional.empty(), Optional.of(new Lsn(replayed)), streaming));
    }

    @Test
    void withoutHaThePrimaryIsTheOneNodeOutOfRecovery() {
        assertThat(RoutingRules.primary(null, Map.of("a", primaryAt(1), "b", replicaAt(1, true))).node()).contains("a");
        assertThat(RoutingRules.primary(null, Map.of("a", Optional.empty(), "b", replicaAt(1, true))))
                .isEqualTo(new RoutingRules.PrimaryChoice(Optional.empty(), "no reachable node is out of recovery"));
        // a promoted replica while the old primary still takes writes: neither is trusted
        assertThat(RoutingRules.primary(null, Map.of("a", primaryAt(1), "b", primaryAt(2))))
                .isEqualTo(new RoutingRules.PrimaryChoice(Optional.empty(), "several nodes take writes (a, b): none is trusted"));
        // an old primary fenced read-only is not a primary
        Optional<ServerPosition> fenced = Optional.of(new ServerPosition(false, true, Optional.of(new Lsn(1)), Optional.empty(), false));
        assertThat(RoutingRules.primary(null, Map.of("a", fenced, "b", primaryAt(2))).node()).contains("b");
    }

    @Test
    void withHaThePrimaryIsTheLeaderOnceItIsWritable() {
        Map<String, Optional<ServerPosition>> probes = Map.of("a", primaryAt(1), "b", replicaAt(1, true));
        assertThat(RoutingRules.primary(Optional.of("a"), probes).node()).contains("a");
        // b took the key and is still promoting: nobody, not the old primary a
        assertThat(RoutingRules.primary(Optional.of("b"), probes))
                .isEqualTo(new RoutingRules.PrimaryChoice(Optional.empty(), "the leader b is not writable yet"));
        assertThat(RoutingRules.primary(Optional.empty(), probes).why()).isEqualTo("nobody holds the HA leader key");
        assertThat(RoutingRules.primary(Optional.of("c"), probes).why()).isEqualTo("the leader c cannot be reached");
    }

    @Test
    void aReplicaServesReadsWhileItStreamsWithinBothLags() {
        List<RoutingRules.Sample> history = List.of(new RoutingRules.Sample(T0, new Lsn(10 * MB)),
                new RoutingRules.Sample(T0.plusSeconds(5), new Lsn(20 * MB)), new RoutingRules.Sample(T0.plusSeconds(10), new Lsn(30 * MB)));
        Instant now = T0.plusSeconds(10);
        Optional<Lsn> primary = Optional.of(new Lsn(30 * MB));
        Duration maxTime = Duration.ofSeconds(8);
        assertThat(RoutingRules.replica(replicaAt(30 * MB, true), primary, history, now, 16 * MB, maxTime))
                .isEqualTo(new RoutingRules.Fitness(true, "streams, 0 bytes and 0 ms behind the primary"));
        assertThat(RoutingRules.replica(replicaAt(20 * MB, true), primary, history, now, 16 * MB, maxTime))
                .isEqualTo(new RoutingRules.Fitness(true, "streams, 10485760 bytes and 0 ms behind the primary"));
        assertThat(RoutingRules.replica(replicaAt(20 * MB, true), primary, history, now, 4 * MB, maxTime).why())
                .isEqualTo("lags 10485760 bytes behind the primary (max_lag_bytes 4194304)");
        // replayed what the primary had 10 s ago, not what it had 5 s ago: 5 s behind
        assertThat(RoutingRules.replica(replicaAt(10 * MB, true), primary, history, now, 64 * MB, maxTime).why())
                .isEqualTo("streams, 20971520 bytes and 5000 ms behind the primary");
        assertThat(RoutingRules.replica(replicaAt(10 * MB - 1, true), primary, history, now, 64 * MB, maxTime).why())
                .isEqualTo("lags 10000 ms behind the primary (max_lag_time 8000 ms)");
        assertThat(RoutingRules.replica(replicaAt(30 * MB, false), primary, history, now, 16 * MB, maxTime).why()).isEqualTo("is not streaming");
        assertThat(RoutingRules.replica(Optional.empty(), primary, history, now, 16 * MB, maxTime).why()).isEqualTo("cannot be reached");
        assertThat(RoutingRules.replica(replicaAt(30 * MB, true), Optional.empty(), history, now, 16 * MB, maxTime).fit()).isFalse();
    }

    @Test
    void anIdlePrimaryGivesNoTimeLag() {
        // the primary wrote nothing for a minute, and the replica has all of it
        List<RoutingRules.Sample> idle = List.of(new RoutingRules.Sample(T0, new Lsn(5 * MB)),
                new RoutingRules.Sample(T0.plusSeconds(60), new Lsn(5 * MB)));
        assertThat(RoutingRules.replica(replicaAt(5 * MB, true), Optional.of(new Lsn(5 * MB)), idle, T0.plusSeconds(60), MB,
                Duration.ofSeconds(10)).fit()).isTrue();
        // but a replica that stopped replaying while the primary wrote is out, however few the bytes
        List<RoutingRules.Sample> wrote = List.of(new RoutingRules.Sample(T0, new Lsn(5 * MB + 100)),
                new RoutingRules.Sample(T0.plusSeconds(60), new Lsn(5 * MB + 100)));
        assertThat(RoutingRules.replica(replicaAt(5 * MB, true), Optional.of(new Lsn(5 * MB + 100)), wrote, T0.plusSeconds(60), MB,
                Duration.ofSeconds(10)).why()).isEqualTo("lags 60000 ms behind the primary (max_lag_time 10000 ms)");
    }
}
