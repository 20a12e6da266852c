package io.walferry.agent;

import java.util.HashSet;
import java.util.Set;

/**
 * One pass of the agent over the catch-up markers (oldest WAL first, per repository): which to try, which to clear,
 * which to leave for the next pass. It holds only what the pass learnt, so its decisions are pure functions of it.
 */
final class CatchUpRound {
    /** What to do with a marker now. */
    enum Step {
        /** Its repository is no longer configured: nothing will ever catch it up. */
        CLEAR,
        /** Its repository failed earlier in this pass: tried again in the next one. */
        SKIP,
        TRY
    }

    /** How an attempt ended. */
    enum Outcome {
        STORED,
        /** No other repository holds the file to copy from: keeping the marker would retry forever. */
        NO_SOURCE,
        STILL_DOWN
    }

    private final Set<String> configured;
    private final Set<String> down = new HashSet<>();

    CatchUpRound(Set<String> configured) {
        this.configured = Set.copyOf(configured);
    }

    Step step(String repository) {
        if (!configured.contains(repository)) {
            return Step.CLEAR;
        }
        return down.contains(repository) ? Step.SKIP : Step.TRY;
    }

    /** After an attempt for {@code repository}: true if its marker goes; a repository still down keeps its markers. */
    boolean clears(String repository, Outcome outcome) {
        if (outcome == Outcome.STILL_DOWN) {
            down.add(repository);
            return false;
        }
        return true;
    }
}
