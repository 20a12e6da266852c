package io.walferry.verify;

import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds the WAL segments missing from the chain a recovery follows. A timeline's chain is the one its
 * history file describes: each earlier timeline up to the segment in which the next one branched off (that
 * segment itself is read from the newer timeline, as PostgreSQL does), then the timeline itself. It runs from
 * the oldest segment stored on it, or the start of a backup on the timeline if that is older, to the newest
 * one stored, or the end of such a backup if that is newer: older WAL may have been expired, newer WAL not
 * written yet. A timeline without a history file is checked alone. Every segment in between must be stored.
 */
final class WalChain {
    private WalChain() {
    }

    /** Segments that must be stored: a backup's WAL from start to stop, by segment number, on its timeline. */
    record Needed(int timeline, long from, long to, String backup) {
        /** True for a segment in the range, and for the history file of its timeline, which a recovery reads first. */
        boolean covers(WalFileName name, long segmentSize) {
            return switch (name) {
                case WalFileName.Segment s -> s.timeline() == timeline && from <= s.segmentNumber(segmentSize) && s.segmentNumber(segmentSize) <= to;
                case WalFileName.History h -> h.timeline() == timeline;
                default -> false;
            };
        }
    }

    /** Segments from..to (segment numbers, inclusive) of a timeline that are not stored. */
    record Gap(int timeline, long from, long to) {
        boolean overlaps(Needed n) {
            return n.timeline() == timeline && n.from() <= to && n.to() >= from;
        }
    }

    /** Part of a chain: segments from (inclusive) to to (exclusive) are read from this timeline. */
    private record Span(int timeline, long from, long to) {
    }

    /**
     * @param stored    the stored segments' numbers, by timeline
     * @param histories the parsed history files, by timeline
     */
    static List<Gap> gaps(Map<Integer, ? extends NavigableSet<Long>> stored, Map<Integer, TimelineHistory> histories,
                          List<Needed> needed, long segmentSize) {
        Set<Integer> timelines = new TreeSet<>(stored.keySet());
        needed.forEach(n -> timelines.add(n.timeline()));
        TreeMap<Integer, TreeSet<Long>> missing = new TreeMap<>();
        for (int tli : timelines) {
            List<Span> chain = chain(tli, histories.get(tli), segmentSize);
            Span own = chain.get(chain.size() - 1);
            long lo = Long.MAX_VALUE;
            long hi = -1;
            for (Span s : chain) {
                NavigableSet<Long> on = within(stored.get(s.timeline()), s);
                if (!on.isEmpty()) {
                    lo = Math.min(lo, on.first());
                    if (s == own) {
                        hi = on.last();
                    }
                }
            }
            for (Needed n : needed) {
                if (n.timeline() == tli) {
                    lo = Math.min(lo, n.from());
                    hi = Math.max(hi, n.to());
                }
            }
            for (long segno = lo; segno <= hi; segno++) {
                int from = timelineOf(chain, segno);
                NavigableSet<Long> on = stored.get(from);
                if (on == null || !on.contains(segno)) {
                    missing.computeIfAbsent(from, k -> new TreeSet<>()).add(segno);
                }
            }
        }
        List<Gap> gaps = new ArrayList<>();
        missing.forEach((tli, segnos) -> {
            long start = -1;
            long prev = -2;
            for (long s : segnos) {
                if (s != prev + 1) {
                    if (start >= 0) {
                        gaps.add(new Gap(tli, start, prev));
                    }
                    start = s;
                }
                prev = s;
            }
            gaps.add(new Gap(tli, start, prev));
        });
        return gaps;
    }

    private static List<Span> chain(int tli, TimelineHistory history, long segmentSize) {
        List<Span> chain = new ArrayList<>();
        long from = 0;
        if (history != null) {
            for (TimelineHistory.Entry a : history.entries()) {
                long branch = a.switchpoint().segmentNumber(segmentSize);
                chain.add(new Span(a.timeline(), from, branch));
                from = Math.max(from, branch);
            }
        }
        chain.add(new Span(tli, from, Long.MAX_VALUE));
        return chain;
    }

    private static NavigableSet<Long> within(NavigableSet<Long> segnos, Span s) {
        if (segnos == null || s.from() >= s.to()) {
            return new TreeSet<>();
        }
        return segnos.subSet(s.from(), true, s.to(), false);
    }

    /** The timeline a segment is read from: the newest one in the chain that had begun by then. */
    private static int timelineOf(List<Span> chain, long segno) {
        for (int i = chain.size() - 1; i > 0; i--) {
            if (chain.get(i).from() <= segno) {
                return chain.get(i).timeline();
            }
        }
        return chain.get(0).timeline();
    }
}
