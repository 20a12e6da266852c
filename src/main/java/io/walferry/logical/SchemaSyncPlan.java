package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.SourceTables;
import io.walferry.postgres.logical.SourceTables.ColumnDefinition;
import io.walferry.postgres.logical.TargetCatalog.NewColumn;
import io.walferry.postgres.logical.TargetCatalog.TargetColumn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code walferry logical sync-schema} changes on the target so that it matches the source again: only additive
 * changes. A column the source has and the target lacks is added (with the source's type, its default where that is a
 * constant, and NOT NULL where the target's table is empty or the default fills it); a table of the stream's selection
 * that the target lacks is copied. Anything else (another type, a column the target has and the source no longer
 * sends where the target needs a value for it, a column that may have been renamed, a default the target would compute
 * differently) is refused with the table and column named and the fix. Pure.
 *
 * @param columns columns to add, in the source's order
 * @param tables  tables to copy (those an interrupted sync-schema was copying among them)
 */
public record SchemaSyncPlan(List<NewColumn> columns, List<QualifiedName> tables) {
    public SchemaSyncPlan {
        columns = List.copyOf(columns);
        tables = List.copyOf(tables);
    }

    public boolean nothingToDo() {
        return columns.isEmpty() && tables.isEmpty();
    }

    /**
     * @param source   the stream's tables on the source now, with their columns
     * @param target   the columns of those tables that exist on the target
     * @param empty    those of the target's tables that hold no row
     * @param copying  tables an earlier sync-schema was copying when it stopped: copied again
     */
    public static SchemaSyncPlan decide(String stream, Map<QualifiedName, List<ColumnDefinition>> source,
                                        Map<QualifiedName, List<TargetColumn>> target, Set<QualifiedName> empty, Set<QualifiedName> copying) {
        List<NewColumn> columns = new ArrayList<>();
        List<QualifiedName> tables = new ArrayList<>();
        for (Map.Entry<QualifiedName, List<ColumnDefinition>> e : source.entrySet()) {
            QualifiedName table = e.getKey();
            List<TargetColumn> there = target.get(table);
            if (there == null || copying.contains(table)) {
                tables.add(table);
                continue;
            }
            Map<String, TargetColumn> byName = new HashMap<>();
            there.forEach(c -> byName.put(c.name(), c));
            List<ColumnDefinition> missing = new ArrayList<>();
            for (ColumnDefinition c : e.getValue()) {
                TargetColumn t = byName.remove(c.name());
                if (c.generated()) {
                    continue; // pgoutput does not send generated columns: the target computes its own or has none
                }
                if (t == null) {
                    missing.add(c);
                } else if (!sameType(c, t)) {
                    throw refused(stream, "column " + table + "." + c.name() + " is " + c.type() + " on the source but " + t.type()
                            + " on the target: a changed type is not an additive change");
                }
            }
            // what is left on the target is no longer on the source: dropped (or renamed) there
            List<TargetColumn> gone = byName.values().stream().filter(t -> !t.generated()).toList();
            if (!gone.isEmpty() && !missing.isEmpty()) {
                throw refused(stream, "column " + table + "." + gone.get(0).name() + " is on the target but no longer on the source, and "
                        + table + "." + missing.get(0).name() + " is new there: a renamed column cannot be told from a dropped one");
            }
            for (TargetColumn t : gone) {
                if (t.notNull() && !t.hasDefault()) {
                    throw refused(stream, "column " + table + "." + t.name() + " is no longer on the source but NOT NULL without a default on "
                            + "the target, so no new row could be applied");
                }
            }
            for (ColumnDefinition c : missing) {
                columns.add(newColumn(stream, table, c, empty.contains(table)));
            }
        }
        return new SchemaSyncPlan(columns, tables);
    }

    /**
     * Whether the copy of a table sync-schema copied at {@code copiedAt} (its temporary slot's consistent point) holds a
     * change of the source transaction whose commit record is at {@code transactionCommit}: one that committed before that
     * point is in the snapshot; one at or after it is streamed by that slot, and so is not.
     */
    public static boolean inCopy(Lsn transactionCommit, Lsn copiedAt) {
        return transactionCommit.compareTo(copiedAt) < 0;
    }

    private static NewColumn newColumn(String stream, QualifiedName table, ColumnDefinition c, boolean emptyTable) {
        if (c.defaultText().isPresent() && !c.defaultConstant()) {
            throw refused(stream, "column " + table + "." + c.name() + " has the default " + c.defaultText().get() + " on the source, which "
                    + "is no constant: the target would compute other values for the rows it holds");
        }
        if (c.notNull() && c.defaultText().isEmpty() && !emptyTable) {
            throw refused(stream, "column " + table + "." + c.name() + " is NOT NULL without a default on the source, and the target's "
                    + "table holds rows that would have no value for it");
        }
        return new NewColumn(table, c.name(), c.type(), c.defaultText(), c.notNull());
    }

    /** Built-in types by OID; others (which have other OIDs on each server) by name. */
    private static boolean sameType(ColumnDefinition c, TargetColumn t) {
        return c.typeOid() < SourceTables.FIRST_NORMAL_OID ? c.typeOid() == t.typeOid() : c.baseType().equals(t.type());
    }

    private static WalferryException refused(String stream, String what) {
        return WalferryException.refused("cannot sync the schema of logical stream " + stream + ": " + what,
                "change the target's table by hand to match the source, or copy again: walferry logical resync " + stream);
    }
}
