package io.walferry.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a promotion does about the servers that must never come back as a second primary: a primary's data directory
 * of this host that is down is fenced on disk (it starts only as a standby of the new primary); one on another host
 * cannot be, and the result says what to run there before it is started again. A pure decision over what was seen.
 */
public final class StartFence {
    private StartFence() {
    }

    /**
     * A node other than the one promoted, as seen just before the promotion.
     *
     * @param onThisHost      its configured host is this machine (its data directory path names its files here)
     * @param answers         its server answers SQL now
     * @param dataDirectory   its data directory holds a cluster (global/pg_control) here
     * @param serverRunning   a live postmaster serves that directory
     * @param standbySignal   standby.signal is there: it starts as a standby already
     * @param maybeOldPrimary it is (or, with none reachable, may be) the primary being replaced
     */
    public record Seen(String node, String host, boolean onThisHost, boolean answers, boolean dataDirectory, boolean serverRunning,
                       boolean standbySignal, boolean maybeOldPrimary) {
    }

    /** What to do about one node. */
    public sealed interface Fence permits OnDisk, Elsewhere {
    }

    /** Fence this node's data directory here. */
    public record OnDisk(String node) implements Fence {
    }

    /** What the user must run on another host before that node's server is started again. */
    public record Elsewhere(String node, String host, String command) implements Fence {
    }

    public record Plan(List<OnDisk> onDisk, List<Elsewhere> elsewhere) {
    }

    public static Plan plan(List<Seen> nodes) {
        List<OnDisk> onDisk = new ArrayList<>();
        List<Elsewhere> elsewhere = new ArrayList<>();
        for (Seen n : nodes) {
            fenceFor(n).ifPresent(f -> {
                switch (f) {
                    case OnDisk d -> onDisk.add(d);
                    case Elsewhere e -> elsewhere.add(e);
                }
            });
        }
        return new Plan(onDisk, elsewhere);
    }

    private static Optional<Fence> fenceFor(Seen n) {
        if (n.onThisHost() && n.dataDirectory()) {
            // Down, and nothing makes it a standby: started as it is, it would be a primary (or, stopped in recovery
            // without its signal file, become one).
            return !n.answers() && !n.serverRunning() && !n.standbySignal() ? Optional.of(new OnDisk(n.node())) : Optional.empty();
        }
        if (!n.onThisHost() && n.maybeOldPrimary()) {
            return Optional.of(new Elsewhere(n.node(), n.host(), "walferry replica rejoin --node " + n.node()));
        }
        return Optional.empty();
    }
}
