package io.walferry.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A timeline's history file as PostgreSQL writes it at a promotion: one line per ancestor, "parentTLI switchpoint
 * reason", oldest first. Timeline 1 has no file and no ancestors.
 *
 * @param timeline the timeline the file belongs to
 * @param entries  its ancestors, oldest first, each with the position where the next timeline began
 */
public record TimelineHistory(int timeline, List<Entry> entries) {
    public TimelineHistory {
        entries = List.copyOf(entries);
    }

    /** An ancestor timeline and the position where it was left for the next one. */
    public record Entry(int timeline, Lsn switchpoint) {
    }

    /** Timeline 1, or any timeline whose history is not known: no ancestors. */
    public static TimelineHistory root(int timeline) {
        return new TimelineHistory(timeline, List.of());
    }

    /** Parses a history file's text; an exception names the line that is not "timeline switchpoint reason". */
    public static TimelineHistory parse(int timeline, String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 3);
            try {
                entries.add(new Entry(Integer.parseInt(f[0]), Lsn.parse(f[1])));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("a line that is not \"timeline<TAB>LSN<TAB>reason\": " + l);
            }
        }
        return new TimelineHistory(timeline, entries);
    }

    /** The timeline this one branched from, if any. */
    public Optional<Entry> parent() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
    }

    /** Where this history says {@code ancestor} was left; empty if it is this timeline or not an ancestor. */
    public Optional<Lsn> switchpointOf(int ancestor) {
        return entries.stream().filter(e -> e.timeline() == ancestor).map(Entry::switchpoint).findFirst();
    }

    /** Whether {@code tli} is this timeline or one of its ancestors. */
    public boolean includes(int tli) {
        return tli == timeline || entries.stream().anyMatch(e -> e.timeline() == tli);
    }

    /** The timeline a position belongs to in this history: the first whose switchpoint lies after it, else this one. */
    public int timelineAt(Lsn lsn) {
        for (Entry e : entries) {
            if (lsn.compareTo(e.switchpoint()) < 0) {
                return e.timeline();
            }
        }
        return timeline;
    }

    /** "timeline 1 until 0/5000000, then 2" for messages. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Entry e : entries) {
            b.append("timeline ").append(e.timeline()).append(" until ").append(e.switchpoint()).append(", then ");
        }
        return b.append("timeline ").append(timeline).toString();
    }
}
