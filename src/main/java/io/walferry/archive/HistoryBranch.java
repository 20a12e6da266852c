package io.walferry.archive;

import io.walferry.postgres.TimelineHistory;

import java.util.Optional;
import java.util.Set;

/**
 * Whether a new timeline's history file fits the history a repository already holds, so that a server outside the
 * cluster's history (a restored copy, a node on a stale branch) cannot add a branch that replicas following the
 * newest timeline would take. A pure decision over what the repository holds; {@link ArchivePusher} reads that.
 */
public final class HistoryBranch {
    private HistoryBranch() {
    }

    /**
     * What the repository holds that bears on {@code pushed}: the stored history of the same timeline and of its
     * parent (empty when not stored), and which timelines have segments or history files at all.
     */
    public record Stored(Optional<TimelineHistory> same, Optional<TimelineHistory> parent, Set<Integer> timelinesWithSegments,
                         boolean anyWal) {
    }

    /** Why {@code pushed} must not be stored in {@code repository}, or empty when it fits. */
    public static Optional<String> problem(TimelineHistory pushed, Stored stored, String repository) {
        int tli = pushed.timeline();
        if (stored.same().isPresent()) {
            TimelineHistory existing = stored.same().get();
            if (!existing.entries().equals(pushed.entries())) {
                return Optional.of("timeline " + tli + " already exists in repository " + repository + " from another branch ("
                        + existing.describe() + "); this history file is " + pushed.describe());
            }
            return Optional.empty();
        }
        if (stored.timelinesWithSegments().contains(tli)) {
            return Optional.of("repository " + repository + " already holds WAL of timeline " + tli + " but no history file for it: "
                    + "another server wrote that timeline; this history file is " + pushed.describe());
        }
        TimelineHistory.Entry parent = pushed.parent().orElseThrow(); // WalFileCheck refuses a history without one
        if (stored.parent().isPresent()) {
            TimelineHistory parentHistory = stored.parent().get();
            if (!pushed.entries().subList(0, pushed.entries().size() - 1).equals(parentHistory.entries())) {
                return Optional.of("this history file (" + pushed.describe() + ") branches from timeline " + parent.timeline()
                        + ", but repository " + repository + " holds a different history of timeline " + parent.timeline() + " ("
                        + parentHistory.describe() + ")");
            }
            return Optional.empty();
        }
        boolean parentKnown = stored.timelinesWithSegments().contains(parent.timeline());
        if (!parentKnown && stored.anyWal()) {
            return Optional.of("this history file (" + pushed.describe() + ") branches from timeline " + parent.timeline() + " at "
                    + parent.switchpoint() + ", of which repository " + repository + " holds nothing (it holds timelines "
                    + stored.timelinesWithSegments() + ")");
        }
        return Optional.empty();
    }
}
