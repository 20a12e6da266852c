package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.PgOutputMessage.Column;
import io.walferry.postgres.logical.PgOutputMessage.Relation;
import io.walferry.postgres.logical.TargetCatalog.TargetColumn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RelationCheckTest {
    private static final Relation ORDERS = new Relation(16400, "public", "orders", 'd', List.of(new Column("id", 23, -1, true),
            new Column("mood", 16390, -1, false)));
    private static final Map<Integer, QualifiedName> TYPES = Map.of(16390, new QualifiedName("public", "mood"));

    private static TargetColumn column(String name, int oid, String schema, String type) {
        return new TargetColumn(name, oid, type, schema, type, false, false, false, true, false);
    }

    @Test
    void aTableThatMatchesIsAppliedWithTheTargetsTypes() {
        AppliedRelation r = RelationCheck.map("s", ORDERS, TYPES, Optional.of(List.of(column("id", 23, "pg_catalog", "int4"),
                column("mood", 17001, "public", "mood"), new TargetColumn("added", 25, "text", "pg_catalog", "text", false, false, false, true, false))));
        assertThat(r.table()).isEqualTo(new QualifiedName("public", "orders"));
        assertThat(r.columns()).extracting(AppliedRelation.AppliedColumn::type).containsExactly("\"pg_catalog\".\"int4\"", "\"public\".\"mood\"");
        assertThat(r.columns().get(0).key()).isTrue();
        assertThat(r.fullIdentity()).isFalse();
    }

    @Test
    void driftStopsNamingTheTableAndColumn() {
        assertThatThrownBy(() -> RelationCheck.map("s", ORDERS, TYPES, Optional.empty()))
                .isInstanceOfSatisfying(WalferryException.class, e -> assertThat(e.kind()).isEqualTo(Failure.REFUSED))
                .hasMessage("schema drift in logical stream s: table public.orders is published on the source but does not exist on the target");
        assertThatThrownBy(() -> RelationCheck.map("s", ORDERS, TYPES, Optional.of(List.of(column("id", 23, "pg_catalog", "int4")))))
                .hasMessage("schema drift in logical stream s: column public.orders.mood is on the source but not on the target");
        assertThatThrownBy(() -> RelationCheck.map("s", ORDERS, TYPES, Optional.of(List.of(column("id", 20, "pg_catalog", "int8"),
                column("mood", 17001, "public", "mood"))))).hasMessage("schema drift in logical stream s: column public.orders.id has another "
                + "type on the source (OID 23) than on the target (int8)");
        assertThatThrownBy(() -> RelationCheck.map("s", ORDERS, TYPES, Optional.of(List.of(column("id", 23, "pg_catalog", "int4"),
                column("mood", 17001, "other", "mood"))))).hasMessageContaining("column public.orders.mood has another type on the source (public.mood)");
        assertThatThrownBy(() -> RelationCheck.map("s", ORDERS, TYPES, Optional.of(List.of(column("id", 23, "pg_catalog", "int4"),
                column("mood", 17001, "public", "mood"), new TargetColumn("must", 25, "text", "pg_catalog", "text", false, true, false, true, false)))))
                .hasMessageContaining("column public.orders.must is NOT NULL without a default on the target and the source does not have it");
    }
}
