package io.walferry.replica;

import io.walferry.postgres.Lsn;

import java.util.Map;
import java.util.Optional;

/**
 * The decisions of a promotion, as pure functions of what was seen: how the old primary is fenced, whether the node
 * to promote holds the old primary's WAL, and whether another replica holds more. Each returns what to do and why,
 * in words a result can show; {@link Promotion} reads the nodes, asks these, and acts. The HA loop asks the same.
 */
public final class PromotionRules {
    private PromotionRules() {
    }

    /** How the old primary is fenced. */
    public enum FenceWay {
        /** It runs on this host: stop it, and read where its WAL ends from pg_control. */
        STOP_HERE,
        /** It runs elsewhere and --force was given: make it read-only by default and end its sessions. */
        READ_ONLY,
        /** It runs elsewhere: refuse, as promoting would leave two primaries. */
        REFUSE
    }

    /** Where the old primary runs, if it answered, and how to fence it. */
    public static FenceWay fence(boolean runsOnThisHost, boolean force) {
        if (runsOnThisHost) {
            return FenceWay.STOP_HERE;
        }
        return force ? FenceWay.READ_ONLY : FenceWay.REFUSE;
    }

    /** What to do about a check: go on, go on with a warning (forced past a refusal), or refuse, each with its reason. */
    public record Verdict(Kind kind, String why, String hint) {
        public enum Kind { PROCEED, PROCEED_FORCED, REFUSE }

        static Verdict proceed(String why) {
            return new Verdict(Kind.PROCEED, why, null);
        }
    }

    /**
     * Whether the node to promote holds the old primary's WAL up to {@code end} ({@code held}: the most it received or
     * replayed, empty if it holds nothing known); decided once waiting for it is over.
     */
    public static Verdict holdsOldWal(String target, Optional<Lsn> held, Lsn end, boolean force, boolean oldWasReachable) {
        if (held.isPresent() && held.get().compareTo(end) >= 0) {
            return Verdict.proceed(target + " holds the old primary's WAL up to " + held.get() + " (" + end + " needed)");
        }
        String what = "node " + target + " holds WAL up to " + held.map(Lsn::toString).orElse("null") + ", but the old primary's ends at "
                + end + ": promoting it would lose the writes in between";
        if (force) {
            return new Verdict(Verdict.Kind.PROCEED_FORCED, what + " (promoting anyway: --force)", null);
        }
        return new Verdict(Verdict.Kind.REFUSE, what, (oldWasReachable ? "the old primary is stopped now: " : "")
                + "check that its last WAL reached the repository (the archiver of the old primary; walferry info), or start it "
                + "again and let the replica catch up, then run promote again; --force promotes without those writes");
    }

    /**
     * Whether another replica holds more WAL than the node to promote: it would be past the new timeline's start and
     * could not follow it. {@code others}: each other replica's most WAL (empty when unknown).
     */
    public static Verdict mostAdvanced(String target, Optional<Lsn> mine, Map<String, Optional<Lsn>> others, boolean force) {
        if (mine.isEmpty()) {
            return Verdict.proceed(target + "'s WAL position is unknown: nothing to compare");
        }
        for (Map.Entry<String, Optional<Lsn>> o : others.entrySet()) {
            if (o.getValue().isEmpty() || o.getValue().get().compareTo(mine.get()) <= 0) {
                continue;
            }
            String n = o.getKey();
            String what = "replica " + n + " holds WAL up to " + o.getValue().get() + ", further than " + target + " (" + mine.get()
                    + "): it has writes " + target + " lacks and could not follow the new timeline";
            if (force) {
                return new Verdict(Verdict.Kind.PROCEED_FORCED, what + " (promoting anyway: --force; make " + n + " a replica again "
                        + "with walferry replica rejoin --node " + n + ")", null);
            }
            return new Verdict(Verdict.Kind.REFUSE, what, "promote " + n + " instead, or pass --force and then make " + n
                    + " a replica again with walferry replica rejoin --node " + n);
        }
        return Verdict.proceed("no other replica holds more WAL than " + target);
    }
}
