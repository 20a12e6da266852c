package io.walferry.router;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.ServerPosition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The router's decisions, pure functions of what one round of probes (and the HA leader key) says. */
final class RoutingRules {
    private RoutingRules() {
    }

    /** Which node takes writes, and why (or why none does). */
    record PrimaryChoice(Optional<String> node, String why) {
    }

    /** Whether a replica may serve reads, and why. */
    record Fitness(boolean fit, String why) {
    }

    /** The primary's WAL position at one moment of the router's clock. */
    record Sample(Instant at, Lsn lsn) {
    }

    /**
     * The primary: with HA, the holder of the leader key once its server is out of recovery and writable; without, the
     * one node that is out of recovery and writable. None while that is not so (a failover under way, or two nodes that
     * both take writes): new writes then wait rather than go to the wrong server.
     *
     * @param leader  with HA: the leader key's holder (empty: nobody holds it); null without HA
     * @param probes  by node name: its position, or empty when it could not be probed
     */
    static PrimaryChoice primary(Optional<String> leader, Map<String, Optional<ServerPosition>> probes) {
        if (leader != null) {
            if (leader.isEmpty()) {
                return new PrimaryChoice(Optional.empty(), "nobody holds the HA leader key");
            }
            String name = leader.get();
            Optional<ServerPosition> p = probes.getOrDefault(name, Optional.empty());
            if (p.isEmpty()) {
                return new PrimaryChoice(Optional.empty(), "the leader " + name + " cannot be reached");
            }
            if (p.get().inRecovery() || p.get().readOnlyByDefault()) {
                return new PrimaryChoice(Optional.empty(), "the leader " + name + " is not writable yet");
            }
            return new PrimaryChoice(leader, name + " holds the HA leader key and takes writes");
        }
        List<String> writable = new ArrayList<>();
        probes.forEach((name, p) -> {
            if (p.isPresent() && !p.get().inRecovery() && !p.get().readOnlyByDefault()) {
                writable.add(name);
            }
        });
        if (writable.size() == 1) {
            return new PrimaryChoice(Optional.of(writable.get(0)), writable.get(0) + " is the one node out of recovery");
        }
        if (writable.isEmpty()) {
            return new PrimaryChoice(Optional.empty(), "no reachable node is out of recovery");
        }
        writable.sort(null);
        return new PrimaryChoice(Optional.empty(), "several nodes take writes (" + String.join(", ", writable) + "): none is trusted");
    }

    /**
     * A replica serves reads while its WAL receiver streams and it has replayed to within {@code maxBytes} of the
     * primary's position and within {@code maxTime} of it: the time lag is how long ago the primary (as the router's
     * own samples saw it) was first further than the replica has replayed, so an idle primary gives no false lag.
     *
     * @param history the primary's positions, oldest first, the newest being now's
     */
    static Fitness replica(Optional<ServerPosition> replica, Optional<Lsn> primaryNow, List<Sample> history, Instant now,
                           long maxBytes, Duration maxTime) {
        if (replica.isEmpty()) {
            return new Fitness(false, "cannot be reached");
        }
        ServerPosition r = replica.get();
        if (!r.inRecovery()) {
            return new Fitness(false, "is not in recovery");
        }
        if (!r.streaming()) {
            return new Fitness(false, "is not streaming");
        }
        if (primaryNow.isEmpty() || r.replayed().isEmpty()) {
            return new Fitness(false, primaryNow.isEmpty() ? "there is no primary to measure its lag against" : "has replayed nothing");
        }
        Lsn replayed = r.replayed().get();
        long behind = Math.max(0, primaryNow.get().value() - replayed.value());
        Duration lag = Duration.ZERO;
        for (Sample s : history) {
            if (s.lsn().compareTo(replayed) > 0) {
                lag = Duration.between(s.at(), now);
                break;
            }
        }
        if (behind > maxBytes) {
            return new Fitness(false, "lags " + behind + " bytes behind the primary (max_lag_bytes " + maxBytes + ")");
        }
        if (lag.compareTo(maxTime) > 0) {
            return new Fitness(false, "lags " + lag.toMillis() + " ms behind the primary (max_lag_time " + maxTime.toMillis() + " ms)");
        }
        return new Fitness(true, "streams, " + behind + " bytes and " + lag.toMillis() + " ms behind the primary");
    }
}
