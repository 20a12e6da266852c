package io.walferry.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * A timeline history file ({@code 00000002.history}) as PostgreSQL writes it at a promotion: one line per
 * earlier timeline, oldest first, "timeline TAB switch point TAB reason", where the switch point is the LSN at
 * which the next timeline branched off. Blank lines and lines starting with '#' are comments.
 *
 * @param timeline  the timeline the file belongs to
 * @param ancestors the timelines before it, oldest first, each with its switch point
 */
public record TimelineHistory(int timeline, List<Ancestor> ancestors) {
    public TimelineHistory {
        ancestors = List.copyOf(ancestors);
    }

    /** An earlier timeline, and the LSN from which the next one in the history took over. */
    public record Ancestor(int timeline, Lsn switchPoint) {
    }

    /**
     * Parses the text of the history file of {@code timeline}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static TimelineHistory parse(int timeline, String text) {
        if (timeline < 2) {
            throw new IllegalArgumentException("names timeline " + timeline + ", but history files start at timeline 2");
        }
        List<Ancestor> ancestors = new ArrayList<>();
        int lastTli = 0;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 3);
            int tli;
            Lsn switchPoint;
            try {
                tli = Integer.parseInt(f[0]);
                switchPoint = Lsn.parse(f[1]);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("has a line that is not \"timeline<TAB>LSN<TAB>reason\": " + l);
            }
            if (tli <= lastTli || tli >= timeline) {
                throw new IllegalArgumentException("lists timeline " + tli + " out of order for timeline " + timeline);
            }
            lastTli = tli;
            ancestors.add(new Ancestor(tli, switchPoint));
        }
        if (ancestors.isEmpty()) {
            throw new IllegalArgumentException("lists no parent timeline");
        }
        return new TimelineHistory(timeline, ancestors);
    }
}
