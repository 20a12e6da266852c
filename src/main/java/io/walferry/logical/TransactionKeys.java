package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.ApplyOrder.RowKey;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The keys of a source transaction ({@link KeySet}): for each change, its table and the replica identity's values
 * (the old ones and the new ones where an update moves the key). A change gives its whole table instead where a
 * row's identity does not tell what it may conflict with: a TRUNCATE, a table with a full identity (or none), a
 * table with a unique index or exclusion constraint on the target that checks other columns than the identity
 * (two rows may trade a unique value), a key value the source did not send; and a table linked by a foreign key gives
 * the one key all linked tables share. An insert into a table with a full identity and no unique index (a history,
 * a log) is keyed by its whole row: such inserts do not conflict with each other. Pure.
 *
 * @param linked            tables a foreign key links on the target (referencing or referenced)
 * @param uniquenessColumns per table, the columns a unique index or exclusion constraint checks on the target
 */
record TransactionKeys(Set<QualifiedName> linked, Map<QualifiedName, Set<String>> uniquenessColumns) {
    TransactionKeys {
        linked = Set.copyOf(linked);
        uniquenessColumns = Map.copyOf(uniquenessColumns);
    }

    KeySet of(List<SourceChange> changes) {
        KeySet.Builder keys = new KeySet.Builder();
        for (SourceChange change : changes) {
            switch (change) {
                case SourceChange.Insert i -> {
                    if (insertsCommute(i.relation())) {
                        keys.row(i.relation().table(), wholeRow(i.row()));
                    } else {
                        row(keys, i.relation(), Optional.of(i.row()));
                    }
                }
                case SourceChange.Update u -> {
                    if (u.old().isPresent()) {
                        row(keys, u.relation(), old(u.relation(), u.old().get()));
                    }
                    row(keys, u.relation(), Optional.of(u.row()));
                }
                case SourceChange.Delete d -> row(keys, d.relation(), old(d.relation(), d.old()));
                case SourceChange.Truncate t -> t.relations().forEach(r -> whole(keys, r.table()));
            }
        }
        return keys.build();
    }

    /** An old row as a key; empty (the whole table) for a full one. */
    private static Optional<TupleData> old(AppliedRelation r, OldRow old) {
        return old.kind() == OldKind.KEY && !r.fullIdentity() ? Optional.of(old.row()) : Optional.empty();
    }

    private void row(KeySet.Builder keys, AppliedRelation r, Optional<TupleData> row) {
        if (linked.contains(r.table())) {
            keys.linked();
            return;
        }
        if (row.isEmpty() || !byIdentity(r)) {
            keys.whole(r.table());
            return;
        }
        List<byte[]> values = new ArrayList<>(2);
        for (int i = 0; i < r.columns().size(); i++) {
            if (r.columns().get(i).key()) {
                Value v = i < row.get().values().size() ? row.get().values().get(i) : Value.UNCHANGED_TOAST;
                if (v.kind() == Kind.UNCHANGED_TOAST) {
                    keys.whole(r.table());
                    return;
                }
                values.add(v.data());
            }
        }
        keys.row(r.table(), RowKey.of(values));
    }

    private void whole(KeySet.Builder keys, QualifiedName table) {
        if (linked.contains(table)) {
            keys.linked();
        } else {
            keys.whole(table);
        }
    }

    /**
     * Inserts into a table whose rows are found by all their values (full identity), which no unique index or
     * exclusion constraint checks and no foreign key links: they conflict with no other insert, only with the
     * updates, deletes and truncates of the table (whole-table keys), so each is keyed by its whole row.
     */
    private boolean insertsCommute(AppliedRelation r) {
        return r.fullIdentity() && !linked.contains(r.table()) && uniquenessColumns.getOrDefault(r.table(), Set.of()).isEmpty();
    }

    private static RowKey wholeRow(TupleData row) {
        List<byte[]> values = new ArrayList<>(row.values().size());
        for (Value v : row.values()) {
            values.add(v.data());
        }
        return RowKey.of(values);
    }

    /** Whether a row's identity alone tells which changes of the table it may conflict with. */
    private boolean byIdentity(AppliedRelation r) {
        if (r.fullIdentity()) {
            return false;
        }
        Set<String> keyNames = new HashSet<>();
        for (AppliedRelation.AppliedColumn c : r.columns()) {
            if (c.key()) {
                keyNames.add(c.name());
            }
        }
        return !keyNames.isEmpty() && keyNames.containsAll(uniquenessColumns.getOrDefault(r.table(), Set.of()));
    }
}
