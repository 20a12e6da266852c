package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.ApplyOrder.Queued;
import io.walferry.postgres.logical.ApplyOrder.Run;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ApplyOrderTest {
    private static final QualifiedName A = new QualifiedName("public", "a");
    private static final QualifiedName B = new QualifiedName("public", "b");
    private static final QualifiedName C = new QualifiedName("public", "c");

    private static Queued change(QualifiedName table, String kind, String value) {
        return new Queued(ChangeSql.Change.of(shape(kind + " " + table.name(), table), List.of(value)), !kind.equals("insert"), false);
    }

    private static Queued truncate(QualifiedName... tables) {
        return new Queued(ChangeSql.Change.of(ChangeSql.Shape.of("truncate", ChangeSql.Action.TRUNCATE, List.of(tables)), List.of()), false, true);
    }

    private static ChangeSql.Shape shape(String sql, QualifiedName... tables) {
        return ChangeSql.Shape.of(sql, ChangeSql.Action.valueOf(sql.substring(0, sql.indexOf(' ')).toUpperCase(java.util.Locale.ROOT)), List.of(tables));
    }

    /** Each run as "shape: values". */
    private static List<String> order(List<Queued> queued, Set<QualifiedName> linked) {
        return ApplyOrder.runs(queued, linked).stream().map(ApplyOrderTest::describe).toList();
    }

    private static String describe(Run r) {
        return r.shape().sql() + ": " + String.join(",", r.changes().stream().flatMap(q -> q.change().values().stream()).toList());
    }

    @Test
    void transactionsOfUnlinkedTablesGoTableByTable_oneBatchPerShape() {
        // three source transactions, each: update a, update b, insert c
        List<Queued> q = List.of(change(A, "update", "1"), change(B, "update", "1"), change(C, "insert", "1"),
                change(A, "update", "2"), change(B, "update", "2"), change(C, "insert", "2"),
                change(A, "update", "3"), change(B, "update", "3"), change(C, "insert", "3"));
        assertThat(order(q, Set.of())).containsExactly("update a: 1,2,3", "update b: 1,2,3", "insert c: 1,2,3");
    }

    @Test
    void changesOfOneTableKeepTheSourcesOrder() {
        // one row inserted, updated, deleted and inserted again, between changes of another table
        List<Queued> q = List.of(change(A, "insert", "1"), change(B, "update", "9"), change(A, "update", "1"), change(A, "delete", "1"),
                change(B, "update", "8"), change(A, "insert", "1"));
        assertThat(order(q, Set.of())).containsExactly("insert a: 1", "update a: 1", "delete a: 1", "insert a: 1", "update b: 9,8");
    }

    /** An update of row {@code key} to {@code value} that a later one of the same row may replace. */
    private static Queued replaceable(QualifiedName table, String key, String value) {
        return new Queued(ChangeSql.Change.of(shape("update " + table.name(), table), List.of(value, key)), true, false,
                ApplyOrder.RowKey.of(List.of(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    @Test
    void anUpdateThatALaterUpdateOfTheSameRowInTheRunOverwritesIsLeftOut() {
        // row 1 of a updated three times, row 2 twice, between updates of b; then a delete of row 1 and an update again
        List<Queued> q = List.of(replaceable(A, "1", "x"), replaceable(B, "1", "y"), replaceable(A, "2", "p"), replaceable(A, "1", "xx"),
                replaceable(B, "1", "yy"), replaceable(A, "1", "xxx"), replaceable(A, "2", "pp"), change(A, "delete", "1"),
                replaceable(A, "1", "z"));
        assertThat(order(q, Set.of())).containsExactly("update a: xxx,1,pp,2", "delete a: 1", "update a: z,1", "update b: yy,1");
        // updates without a key to replace them by (their order matters) all stay
        List<Queued> kept = List.of(change(A, "update", "1"), change(A, "update", "1"));
        assertThat(order(kept, Set.of())).containsExactly("update a: 1,1");
    }

    @Test
    void aStretchWithATableLinkedByAForeignKeyKeepsTheSourcesOrderExactly() {
        List<Queued> q = List.of(change(A, "insert", "1"), change(B, "insert", "1"), change(A, "insert", "2"), change(C, "update", "5"));
        assertThat(order(q, Set.of(B))).containsExactly("insert a: 1", "insert b: 1", "insert a: 2", "update c: 5");
    }

    @Test
    void nothingMovesAcrossATruncate() {
        List<Queued> q = List.of(change(A, "update", "1"), change(B, "update", "1"), truncate(A, C), change(B, "update", "2"),
                change(A, "insert", "1"), change(B, "update", "3"));
        assertThat(order(q, Set.of())).containsExactly("update a: 1", "update b: 1", "truncate: ", "update b: 2,3", "insert a: 1");
    }

    @Test
    void nothingQueuedIsNoRun() {
        assertThat(ApplyOrder.runs(List.of(), Set.of())).isEmpty();
    }

    @Test
    void aRunGoesAsOneUpdateWhereItsShapeAllowsAndEachChangeHasADistinctRow() {
        ChangeSql.Shape byKey = new ChangeSql.Shape("update a", ChangeSql.Action.UPDATE, List.of(A), null, new int[0], 0,
                java.util.Optional.of("update a from unnest"), java.util.Optional.empty());
        List<Queued> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rows.add(new Queued(ChangeSql.Change.of(byKey, List.of()), true, false, ApplyOrder.RowKey.of(List.of(new byte[]{(byte) i}))));
        }
        rows.add(rows.get(0));
        List<Run> runs = ApplyOrder.runs(rows, Set.of());
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).changes()).as("one per row").hasSize(3);
        assertThat(runs.get(0).asOneUpdate(3)).isTrue();
        assertThat(runs.get(0).asOneUpdate(4)).as("too few").isFalse();
        rows.add(new Queued(ChangeSql.Change.of(byKey, List.of()), true, false, null));
        assertThat(ApplyOrder.runs(rows, Set.of()).get(0).asOneUpdate(3)).as("an update whose row may come twice").isFalse();
        assertThat(ApplyOrder.runs(List.of(change(A, "update", "1"), change(A, "update", "2"), change(A, "update", "3")), Set.of())
                .get(0).asOneUpdate(1)).as("a shape without the statement").isFalse();
    }

    @Test
    void aRunOfInsertsGoesAsOneCopy() {
        ChangeSql.Shape insert = new ChangeSql.Shape("insert a", ChangeSql.Action.INSERT, List.of(A), null, new int[0], 0,
                java.util.Optional.empty(), java.util.Optional.of("copy a from stdin"));
        List<Queued> rows = List.of(new Queued(ChangeSql.Change.of(insert, List.of()), false, false),
                new Queued(ChangeSql.Change.of(insert, List.of()), false, false));
        assertThat(ApplyOrder.runs(rows, Set.of()).get(0).asCopy(2)).isTrue();
        assertThat(ApplyOrder.runs(rows, Set.of()).get(0).asCopy(3)).isFalse();
        assertThat(ApplyOrder.runs(List.of(change(A, "insert", "1"), change(A, "insert", "2")), Set.of()).get(0).asCopy(1)).isFalse();
    }
}
