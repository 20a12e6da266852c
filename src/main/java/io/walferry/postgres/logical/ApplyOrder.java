package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order in which a target session sends queued changes, all of them inside one target transaction: as runs of
 * one statement shape, each run one batch of bound values (one round trip, the shape planned once). Only the
 * transaction's end is visible to others, so only what the changes check one by one constrains their order: changes
 * of one table keep the source's order (one row, or unique values moving between rows). Changes of different tables
 * do not depend on each other unless a foreign key links them, which is checked at each statement (walferry's role
 * cannot turn the checks off as a native subscription does). So changes are gathered table by table, in the source's
 * order within each table, where no table of the stretch is linked by a foreign key; otherwise the stretch keeps the
 * source's order exactly. A TRUNCATE is a barrier: what came before it is sent before it, what came after, after it.
 * Pure.
 */
public final class ApplyOrder {
    private ApplyOrder() {
    }

    /**
     * A queued change.
     *
     * @param mustMatch an update or delete that must find its row
     * @param barrier   nothing moves across it (a TRUNCATE)
     * @param rowKey    for an update that a later one of the same row and shape may replace: the row's key values; else null
     */
    public record Queued(ChangeSql.Change change, boolean mustMatch, boolean barrier, RowKey rowKey) {
        public Queued(ChangeSql.Change change, boolean mustMatch, boolean barrier) {
            this(change, mustMatch, barrier, null);
        }
    }

    /** A row's key values, as the source sent them (each with its length; a NULL as -1). */
    public record RowKey(byte[] bytes) {
        public static RowKey of(List<byte[]> values) {
            int n = 0;
            for (byte[] v : values) {
                n += 4 + (v == null ? 0 : v.length);
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n);
            for (byte[] v : values) {
                b.putInt(v == null ? -1 : v.length);
                if (v != null) {
                    b.put(v);
                }
            }
            return new RowKey(b.array());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RowKey k && java.util.Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "RowKey" + java.util.Arrays.toString(bytes);
        }
    }

    /** Consecutive changes of one shape, sent as one batch. */
    public record Run(ChangeSql.Shape shape, List<Queued> changes) {
        public Run {
            changes = List.copyOf(changes);
        }

        /**
         * Whether the run goes as one statement ({@link ChangeSql.Shape#setSql}): updates whose shape allows it, of
         * distinct rows (each has a key to replace it by, and the run keeps one update per key), at least {@code minRows}.
         */
        public boolean asOneUpdate(int minRows) {
            if (shape.setSql().isEmpty() || changes.size() < minRows) {
                return false;
            }
            for (Queued q : changes) {
                if (q.rowKey() == null) {
                    return false;
                }
            }
            return true;
        }

        /** The run's statements. */
        public List<ChangeSql.Change> statements() {
            List<ChangeSql.Change> out = new ArrayList<>(changes.size());
            for (Queued q : changes) {
                out.add(q.change());
            }
            return out;
        }

        /** Whether the run goes as one COPY ({@link ChangeSql.Shape#copySql}): inserts, at least {@code minRows}. */
        public boolean asCopy(int minRows) {
            return shape.copySql().isPresent() && changes.size() >= minRows;
        }
    }

    /** @param linked tables that a foreign key links (either side) on the target */
    public static List<Run> runs(List<Queued> queued, Set<QualifiedName> linked) {
        List<Run> runs = new ArrayList<>();
        List<Queued> stretch = new ArrayList<>();
        for (Queued q : queued) {
            if (q.barrier()) {
                addStretch(stretch, linked, runs);
                stretch.clear();
                runs.add(new Run(q.change().shape(), List.of(q)));
            } else {
                stretch.add(q);
            }
        }
        addStretch(stretch, linked, runs);
        return runs;
    }

    private static void addStretch(List<Queued> stretch, Set<QualifiedName> linked, List<Run> runs) {
        boolean keepOrder = false;
        for (int i = 0; i < stretch.size() && !keepOrder && !linked.isEmpty(); i++) {
            for (QualifiedName t : stretch.get(i).change().tables()) {
                keepOrder |= linked.contains(t);
            }
        }
        List<Queued> ordered = stretch;
        if (!keepOrder) {
            Map<List<QualifiedName>, List<Queued>> byTable = new LinkedHashMap<>();
            for (Queued q : stretch) {
                byTable.computeIfAbsent(q.change().tables(), t -> new ArrayList<>()).add(q);
            }
            ordered = byTable.values().stream().flatMap(List::stream).toList();
        }
        List<Queued> run = new ArrayList<>();
        for (Queued q : ordered) {
            if (!run.isEmpty() && !run.get(0).change().shape().sameStatement(q.change().shape())) {
                runs.add(new Run(run.get(0).change().shape(), lastOfEachRow(run)));
                run.clear();
            }
            run.add(q);
        }
        if (!run.isEmpty()) {
            runs.add(new Run(run.get(0).change().shape(), lastOfEachRow(run)));
        }
    }

    /** The run without the updates that a later update of the same row in it overwrites. */
    private static List<Queued> lastOfEachRow(List<Queued> run) {
        Set<RowKey> later = new HashSet<>();
        List<Queued> kept = new ArrayList<>(run.size());
        for (int i = run.size() - 1; i >= 0; i--) {
            Queued q = run.get(i);
            if (q.rowKey() == null || later.add(q.rowKey())) {
                kept.add(q);
            }
        }
        return kept.size() == run.size() ? run : kept.reversed();
    }
}
