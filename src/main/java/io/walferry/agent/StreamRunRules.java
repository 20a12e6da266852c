package io.walferry.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether this node's agent runs a logical stream ({@code run: agent}) now. The stream runs where its source's primary
 * is: with ha, on the leader (and only while its server is out of recovery); without, on the node whose server is not in
 * recovery. Only one runner per stream: an agent does not start one while another process streams the slot (the slot's
 * active_pid would refuse it anyway, but the agent says why instead of failing in a loop). A stream that stopped on a
 * failure that does not pass waits {@link #HOLD_AFTER_FAILURE} before the agent tries again (a resync may have mended
 * it). Pure.
 */
public final class StreamRunRules {
    /** How long a stream stopped by a failure that does not pass (schema drift, a lost slot) waits for the next try. */
    public static final Duration HOLD_AFTER_FAILURE = Duration.ofSeconds(60);

    private StreamRunRules() {
    }

    /**
     * What the agent saw, read once per pass.
     *
     * @param haConfigured  the agent runs the HA loop
     * @param haLeader      it holds the leader key (meaningless without ha)
     * @param inRecovery    whether the node's server is in recovery; empty when it could not be read
     * @param runningHere   this agent's runner of the stream is running
     * @param slotHolder    the process that streams the slot now, when it is not this agent's runner (empty: nobody, or
     *                      the slot could not be read)
     * @param failedAt      when this agent's runner last stopped on a failure that does not pass
     */
    public record Probe(boolean haConfigured, boolean haLeader, Optional<Boolean> inRecovery, boolean runningHere,
                        Optional<Integer> slotHolder, Optional<Instant> failedAt, Instant now) {
    }

    public enum Action { START, STOP, KEEP, WAIT }

    public record Decision(Action action, String why) {
    }

    public static Decision decide(Probe p) {
        if (p.haConfigured() && !p.haLeader()) {
            return p.runningHere() ? new Decision(Action.STOP, "this node no longer holds the HA leader key")
                    : new Decision(Action.WAIT, "the HA leader's agent runs it");
        }
        if (p.inRecovery().isEmpty()) {
            // the runner's own retries cover a server that restarts; an unknown role starts nothing
            return p.runningHere() ? new Decision(Action.KEEP, "the node's server does not answer; the runner retries")
                    : new Decision(Action.WAIT, "the node's server does not answer");
        }
        if (p.inRecovery().get()) {
            return p.runningHere() ? new Decision(Action.STOP, "this node's server is a standby now")
                    : new Decision(Action.WAIT, "this node's server is a standby: the primary's agent runs it");
        }
        if (p.runningHere()) {
            return new Decision(Action.KEEP, "this node is the primary");
        }
        if (p.slotHolder().isPresent()) {
            return new Decision(Action.WAIT, "another process streams the slot (pid " + p.slotHolder().get() + " on the source): one "
                    + "runner per stream");
        }
        if (p.failedAt().isPresent() && p.failedAt().get().plus(HOLD_AFTER_FAILURE).isAfter(p.now())) {
            return new Decision(Action.WAIT, "stopped on a failure at " + p.failedAt().get() + "; tries again "
                    + HOLD_AFTER_FAILURE.toSeconds() + " s after it");
        }
        return new Decision(Action.START, "this node is the primary" + (p.haConfigured() ? " (HA leader)" : ""));
    }
}
