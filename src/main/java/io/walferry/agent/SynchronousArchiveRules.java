package io.walferry.agent;

import io.walferry.config.ArchiveConfig;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.SynchronousNames;

import java.time.Duration;
import java.util.Optional;

/**
 * Whether the synchronous archive belongs in the primary's {@code synchronous_standby_names} now, decided from plain
 * values (docs/streaming.md#a-synchronous-archive). The archive joins when the agent starts; with a
 * {@code synchronous_timeout}, a stream that has stored nothing new for that long while WAL waits is dropped from the
 * set (commits go on: availability over durability) and joins again once it keeps up.
 */
final class SynchronousArchiveRules {
    private SynchronousArchiveRules() {
    }

    /** What the agent read from the primary at one look. */
    record Probe(SynchronousNames current, boolean slotActive, Optional<Lsn> slotRestart, Lsn flush) {
    }

    /**
     * What the agent remembers between looks.
     *
     * @param restart         the slot's restart_lsn at the last look
     * @param progressNanos   when the stream last stored something new, or was caught up
     * @param previousFlush   the server's flush position at the last look
     * @param dropped         this agent dropped the archive from the set after the timeout
     */
    record Memory(Optional<Lsn> restart, long progressNanos, Optional<Lsn> previousFlush, boolean dropped) {
        static Memory start(long now) {
            return new Memory(Optional.empty(), now, Optional.empty(), false);
        }

        /** This look taken into account: progress is a restart_lsn that moved or one at the server's flush position. */
        Memory after(Probe p, long now) {
            boolean moved = p.slotRestart().isPresent() && !p.slotRestart().equals(restart);
            boolean caughtUp = p.slotRestart().map(r -> r.compareTo(p.flush()) >= 0).orElse(false);
            return new Memory(p.slotRestart(), moved || caughtUp ? now : progressNanos, Optional.of(p.flush()), dropped);
        }

        Memory dropped(boolean d) {
            return new Memory(restart, progressNanos, previousFlush, d);
        }
    }

    enum Kind { NONE, JOIN, DROP }

    /** What to do, the value of synchronous_standby_names to write for it, and why (for the log). */
    record Action(Kind kind, String value, String why) {
        static final Action NONE = new Action(Kind.NONE, "", "");
    }

    /**
     * @param memory  the memory before this look (progress not yet updated with it)
     * @param now     nanoseconds, the clock of {@link Memory#progressNanos()}
     * @param timeout zero: commits wait for the archive however long it takes
     */
    static Action decide(String archive, Probe p, Memory memory, long now, Duration timeout, ArchiveConfig.WithStandbys with) {
        SynchronousNames standbys = p.current().withoutArchive(archive, with);
        boolean behind = p.slotRestart().map(r -> r.compareTo(p.flush()) < 0).orElse(true);
        if (p.current().includes(archive)) {
            long stalled = now - memory.after(p, now).progressNanos();
            if (timeout.isZero() || !behind || stalled < timeout.toNanos()) {
                return Action.NONE;
            }
            return new Action(Kind.DROP, standbys.value(), "the stream has stored no WAL for " + Duration.ofNanos(stalled).toSeconds()
                    + " s (archive.synchronous_timeout " + timeout.toSeconds() + " s): commits go on without the archive; WAL after "
                    + p.slotRestart().map(Lsn::toString).orElse("the slot's position") + " would be lost with the primary until the stream catches up");
        }
        String joined = standbys.withArchive(Optional.of(archive), with).value();
        if (!memory.dropped()) {
            return new Action(Kind.JOIN, joined, "commits wait for the archive: acknowledged once their WAL is in every required repository");
        }
        boolean keepsUp = p.slotActive() && p.slotRestart().isPresent() && memory.previousFlush().isPresent()
                && p.slotRestart().get().compareTo(memory.previousFlush().get()) >= 0;
        return keepsUp ? new Action(Kind.JOIN, joined, "the stream caught up (" + p.slotRestart().get() + "): commits wait for the archive again")
                : Action.NONE;
    }
}
