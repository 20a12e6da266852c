package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.ApplyOrder.RowKey;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a source transaction (or several) touches, for parallel apply: rows by table and replica identity values,
 * whole tables, and whether it touches any table linked by a foreign key (those all count as one key: a child's row
 * and its parent's are in different tables, yet must keep their order). Two sets overlap when they share a row, a
 * whole table meets anything of that table, or both touch linked tables. Pure.
 */
record KeySet(Set<QualifiedName> wholeTables, Map<QualifiedName, Set<RowKey>> rows, boolean linked) {
    KeySet {
        wholeTables = Set.copyOf(wholeTables);
        Map<QualifiedName, Set<RowKey>> copy = new HashMap<>();
        rows.forEach((t, keys) -> copy.put(t, Set.copyOf(keys)));
        rows = Map.copyOf(copy);
    }

    boolean overlaps(KeySet other) {
        return overlap(wholeTables, rows, linked, other);
    }

    private static boolean overlap(Set<QualifiedName> whole, Map<QualifiedName, Set<RowKey>> rows, boolean linked, KeySet other) {
        if (linked && other.linked) {
            return true;
        }
        for (QualifiedName t : whole) {
            if (other.wholeTables.contains(t) || other.rows.containsKey(t)) {
                return true;
            }
        }
        for (QualifiedName t : other.wholeTables) {
            if (rows.containsKey(t)) {
                return true;
            }
        }
        for (Map.Entry<QualifiedName, Set<RowKey>> e : other.rows.entrySet()) {
            Set<RowKey> mine = rows.get(e.getKey());
            if (mine != null) {
                for (RowKey k : e.getValue()) {
                    if (mine.contains(k)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Collects a transaction's keys, or the union of several transactions' (what a lane holds). */
    static final class Builder {
        private final Set<QualifiedName> wholeTables = new HashSet<>();
        private final Map<QualifiedName, Set<RowKey>> rows = new HashMap<>();
        private boolean linked;

        Builder whole(QualifiedName table) {
            wholeTables.add(table);
            return this;
        }

        Builder row(QualifiedName table, RowKey key) {
            rows.computeIfAbsent(table, t -> new HashSet<>()).add(key);
            return this;
        }

        Builder linked() {
            linked = true;
            return this;
        }

        Builder add(KeySet keys) {
            wholeTables.addAll(keys.wholeTables);
            keys.rows.forEach((t, ks) -> rows.computeIfAbsent(t, x -> new HashSet<>()).addAll(ks));
            linked |= keys.linked;
            return this;
        }

        /** Whether what was collected so far overlaps {@code other} (as {@link KeySet#overlaps}). */
        boolean overlaps(KeySet other) {
            return overlap(wholeTables, rows, linked, other);
        }

        KeySet build() {
            Map<QualifiedName, Set<RowKey>> kept = new HashMap<>(rows);
            kept.keySet().removeAll(wholeTables);
            return new KeySet(wholeTables, kept, linked);
        }
    }
}
