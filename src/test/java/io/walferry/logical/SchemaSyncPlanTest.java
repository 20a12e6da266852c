package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.SourceTables.ColumnDefinition;
import io.walferry.postgres.logical.TargetCatalog.NewColumn;
import io.walferry.postgres.logical.TargetCatalog.TargetColumn;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaSyncPlanTest {
    private static final QualifiedName EVENTS = new QualifiedName("public", "events");
    private static final QualifiedName NOTES = new QualifiedName("public", "notes");

    private static ColumnDefinition source(String name, int oid, String type, boolean notNull, String defaultText, boolean constant) {
        return new ColumnDefinition(name, oid, type, type.replaceAll("\\(.*\\)", ""), Optional.empty(), notNull, false,
                Optional.ofNullable(defaultText), constant);
    }

    private static TargetColumn target(String name, int oid, String type, boolean notNull) {
        return new TargetColumn(name, oid, type, "pg_catalog", type, false, notNull, false, true, false);
    }

    private static final ColumnDefinition ID = source("id", 23, "integer", true, null, false);
    private static final TargetColumn ID_THERE = target("id", 23, "integer", true);

    private static SchemaSyncPlan plan(List<ColumnDefinition> source, List<TargetColumn> target, Set<QualifiedName> empty) {
        Map<QualifiedName, List<ColumnDefinition>> s = new LinkedHashMap<>();
        s.put(EVENTS, source);
        return SchemaSyncPlan.decide("shop", s, Map.of(EVENTS, target), empty, Set.of());
    }

    @Test
    void aNewColumnIsAddedWithItsTypeAndConstantDefault() {
        SchemaSyncPlan p = plan(List.of(ID, source("extra", 1043, "character varying(20)", false, null, false),
                source("n", 23, "integer", true, "5", true)), List.of(ID_THERE), Set.of());
        assertThat(p.tables()).isEmpty();
        assertThat(p.columns()).containsExactly(new NewColumn(EVENTS, "extra", "character varying(20)", Optional.empty(), false),
                new NewColumn(EVENTS, "n", "integer", Optional.of("5"), true));
        assertThat(p.columns().get(1).statement()).isEqualTo("ALTER TABLE \"public\".\"events\" ADD COLUMN \"n\" integer DEFAULT 5 NOT NULL");
    }

    @Test
    void aMatchingSchemaHasNothingToDoAndAColumnDroppedOnTheSourceThatTheTargetCanLeaveEmptyStays() {
        assertThat(plan(List.of(ID), List.of(ID_THERE), Set.of()).nothingToDo()).isTrue();
        assertThat(plan(List.of(ID), List.of(ID_THERE, target("old", 25, "text", false)), Set.of()).nothingToDo()).isTrue();
    }

    @Test
    void aTableTheTargetLacksOrThatAnInterruptedSyncWasCopyingIsCopied() {
        Map<QualifiedName, List<ColumnDefinition>> s = new LinkedHashMap<>();
        s.put(EVENTS, List.of(ID));
        s.put(NOTES, List.of(ID));
        assertThat(SchemaSyncPlan.decide("shop", s, Map.of(EVENTS, List.of(ID_THERE)), Set.of(), Set.of()).tables()).containsExactly(NOTES);
        assertThat(SchemaSyncPlan.decide("shop", s, Map.of(EVENTS, List.of(ID_THERE), NOTES, List.of(ID_THERE)), Set.of(), Set.of(NOTES))
                .tables()).containsExactly(NOTES);
    }

    @Test
    void notNullWithoutADefaultIsAddedOnlyToAnEmptyTable() {
        List<ColumnDefinition> s = List.of(ID, source("code", 25, "text", true, null, false));
        assertThat(plan(s, List.of(ID_THERE), Set.of(EVENTS)).columns()).containsExactly(new NewColumn(EVENTS, "code", "text",
                Optional.empty(), true));
        assertRefused(() -> plan(s, List.of(ID_THERE), Set.of()), "column public.events.code is NOT NULL without a default on the source");
    }

    @Test
    void whatIsNotAdditiveIsRefusedNamingTableAndColumnAndResync() {
        assertRefused(() -> plan(List.of(ID, source("msg", 20, "bigint", false, null, false)), List.of(ID_THERE, target("msg", 23, "integer", false)),
                Set.of()), "column public.events.msg is bigint on the source but integer on the target");
        assertRefused(() -> plan(List.of(ID, source("body", 25, "text", false, null, false)), List.of(ID_THERE, target("msg", 25, "text", false)),
                Set.of()), "column public.events.msg is on the target but no longer on the source, and public.events.body is new there");
        assertRefused(() -> plan(List.of(ID), List.of(ID_THERE, target("msg", 25, "text", true)), Set.of()),
                "column public.events.msg is no longer on the source but NOT NULL without a default on the target");
        assertRefused(() -> plan(List.of(ID, source("at", 1184, "timestamp with time zone", false, "now()", false)), List.of(ID_THERE),
                Set.of()), "column public.events.at has the default now() on the source, which is no constant");
    }

    @Test
    void aNewTablesChangesAreInItsCopyExactlyWhenTheirTransactionCommittedBeforeTheCopysConsistentPoint() {
        Lsn q = Lsn.parse("0/3000060");
        assertThat(SchemaSyncPlan.inCopy(Lsn.parse("0/300005F"), q)).isTrue();
        assertThat(SchemaSyncPlan.inCopy(q, q)).as("a commit record at the consistent point is streamed, not in the snapshot").isFalse();
        assertThat(SchemaSyncPlan.inCopy(Lsn.parse("0/3000061"), q)).isFalse();
    }

    private static void assertRefused(Runnable r, String what) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.REFUSED);
            assertThat(e.getMessage()).startsWith("cannot sync the schema of logical stream shop: ").contains(what).doesNotContain("\n");
            assertThat(e.hint()).isEqualTo("change the target's table by hand to match the source, or copy again: walferry logical resync shop");
        });
    }
}
