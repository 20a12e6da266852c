package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.time.Duration;

/**
 * {@code walferry switchover}: asks the leader, through the store, to hand over to a replica, and waits until that
 * replica holds the leader key and runs as the primary. The leader does the work (see {@link Switchover}).
 */
public final class SwitchoverRequest {
    /** Who led before, who leads now (or is to, when scheduled), and how long the handover took from the request. */
    public record Result(String from, String to, Duration took, java.util.Optional<java.time.Instant> scheduledAt) {
    }

    private final WalferryConfig config;

    public SwitchoverRequest(WalferryConfig config) {
        this.config = config;
    }

    public Result run(String to, Duration timeout) {
        return run(to, java.util.Optional.empty(), timeout);
    }

    /** With {@code at}, the request is left in the store for the leader to act on then, and this returns at once. */
    public Result run(String to, java.util.Optional<java.time.Instant> at, Duration timeout) {
        HaConfig ha = config.ha().orElseThrow(() -> WalferryException.config("switchover needs HA: this configuration has no ha: section",
                "configure ha: (docs/ha.md), or use walferry promote"));
        if (config.node(to).isEmpty()) {
            throw WalferryException.config("node '" + to + "' is not in " + config.source(), "use one of: " + config.nodeNames());
        }
        try (ClusterStore store = EtcdStore.forCommand(ha, config.cluster())) {
            StoreView v = store.read();
            String from = v.leader().orElseThrow(() -> new WalferryException(Failure.REFUSED, "no member holds the leader key now",
                    "wait for the HA loop to elect one (walferry status), then ask again"));
            if (from.equals(to)) {
                throw WalferryException.refused(to + " is the leader already", null);
            }
            MemberState m = v.members().get(to);
            if (m == null || !MemberState.REPLICA.equals(m.role()) || !m.candidate()) {
                throw WalferryException.refused(to + " is not a running replica that may be promoted ("
                        + (m == null ? "its agent has not published itself" : m.role() + (m.candidate() ? "" : ", not a candidate")) + ")",
                        "start its agent, or choose another node; walferry status shows each member");
            }
            Deadline deadline = Deadline.after(timeout).lookingEvery(Duration.ofMillis(200));
            store.requestSwitchover(to, at);
            if (at.isPresent()) {
                return new Result(from, to, Duration.ZERO, at);
            }
            while (true) {
                StoreView now = store.read();
                MemberState newLeader = now.members().get(to);
                if (now.leader().filter(to::equals).isPresent() && newLeader != null && MemberState.PRIMARY.equals(newLeader.role())) {
                    return new Result(from, to, deadline.elapsed(), java.util.Optional.empty());
                }
                if (deadline.passed()) {
                    store.clearSwitchover();
                    throw new WalferryException(Failure.FAILED, "the switchover to " + to + " did not complete within " + timeout.toSeconds()
                            + " s (leader now: " + now.leader().orElse("none") + "); the request was withdrawn",
                            "see the agents' logs and walferry status");
                }
                deadline.pause();
            }
        } catch (StoreUnavailable e) {
            throw EtcdStore.unavailable(e);
        }
    }
}
