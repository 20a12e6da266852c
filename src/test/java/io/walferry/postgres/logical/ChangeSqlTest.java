package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.AppliedRelation.AppliedColumn;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChangeSqlTest {
    private static final AppliedColumn ID = new AppliedColumn("id", "\"pg_catalog\".\"int4\"", true, true, false);
    private static final AppliedColumn NOTE = new AppliedColumn("no\"te", "\"pg_catalog\".\"text\"", false, true, false);
    private static final AppliedColumn DOC = new AppliedColumn("doc", "\"pg_catalog\".\"json\"", false, false, false);
    private static final AppliedRelation T = new AppliedRelation(1, new QualifiedName("public", "t"), List.of(ID, NOTE, DOC), false);

    private static Value text(String s) {
        return new Value(Kind.TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    private static TupleData row(Value... values) {
        return new TupleData(Arrays.asList(values));
    }

    @Test
    void insertsTypedLiteralsWithQuotesDoubledAndBackslashesKept() {
        assertThat(new ChangeSql().insert(T, row(text("1"), text("it's a \\ test"), Value.NULL)).inline())
                .isEqualTo("insert into \"public\".\"t\" (\"id\", \"no\"\"te\", \"doc\") values (cast('1' as \"pg_catalog\".\"int4\"), "
                        + "cast('it''s a \\ test' as \"pg_catalog\".\"text\"), cast(null as \"pg_catalog\".\"json\"))");
        AppliedRelation identity = new AppliedRelation(1, T.table(), List.of(new AppliedColumn("id", ID.type(), true, true, true)), false);
        assertThat(new ChangeSql().insert(identity, row(text("7"))).inline()).contains("(\"id\") overriding system value values");
        assertThat(new ChangeSql().insert(T, row(text("1"), Value.NULL, Value.NULL)).shape().copySql())
                .contains("copy \"public\".\"t\" (\"id\", \"no\"\"te\", \"doc\") from stdin");
    }

    @Test
    void anUpdateSetsWhatChangedAndFindsTheRowByItsKey() {
        assertThat(new ChangeSql().update(T, Optional.empty(), row(text("1"), text("x"), Value.UNCHANGED_TOAST)).inline())
                .as("the key stays, the unchanged TOAST value is left alone")
                .isEqualTo("update \"public\".\"t\" set \"no\"\"te\" = cast('x' as \"pg_catalog\".\"text\") where \"id\" = cast('1' as \"pg_catalog\".\"int4\")");
        assertThat(new ChangeSql().update(T, Optional.of(new OldRow(OldKind.KEY, row(text("1"), Value.NULL, Value.NULL))), row(text("2"), text("x"), Value.NULL)).inline())
                .isEqualTo("update \"public\".\"t\" set \"id\" = cast('2' as \"pg_catalog\".\"int4\"), \"no\"\"te\" = cast('x' as "
                        + "\"pg_catalog\".\"text\"), \"doc\" = cast(null as \"pg_catalog\".\"json\") where \"id\" = cast('1' as \"pg_catalog\".\"int4\")");
    }

    @Test
    void aFullIdentityMatchesOneRowByEveryValue_textForTypesWithoutEquality() {
        AppliedRelation full = new AppliedRelation(1, T.table(), List.of(new AppliedColumn("id", ID.type(), true, true, false),
                new AppliedColumn("no\"te", NOTE.type(), true, true, false), new AppliedColumn("doc", DOC.type(), true, false, false)), true);
        OldRow old = new OldRow(OldKind.FULL, row(text("1"), Value.NULL, text("{\"a\": 1}")));
        assertThat(new ChangeSql().delete(full, old).inline()).isEqualTo("delete from \"public\".\"t\" where ctid = (select ctid from \"public\".\"t\" where "
                + "\"id\" = cast('1' as \"pg_catalog\".\"int4\") and \"no\"\"te\" is null and cast(\"doc\" as text) = '{\"a\": 1}' limit 1)");
    }

    @Test
    void truncateWithoutCascade() {
        assertThat(new ChangeSql().truncate(List.of(T, T), true).inline()).isEqualTo("truncate \"public\".\"t\", \"public\".\"t\" restart identity");
        assertThat(new ChangeSql().truncate(List.of(T), false).inline()).isEqualTo("truncate \"public\".\"t\"");
    }

    @Test
    void anIdentityGeneratedAlwaysIsNeverSet() {
        AppliedRelation identity = new AppliedRelation(1, T.table(), List.of(new AppliedColumn("id", ID.type(), true, true, true), NOTE), false);
        assertThat(new ChangeSql().update(identity, Optional.empty(), row(text("1"), text("x"))).inline()).doesNotContain("set \"id\"");
        assertThatThrownBy(() -> new ChangeSql().update(identity, Optional.of(new OldRow(OldKind.KEY, row(text("1"), Value.NULL))),
                row(text("2"), text("x"))).inline()).hasMessageContaining("changes id, which is GENERATED ALWAYS AS IDENTITY on the target");
    }

    @Test
    void rowsOfOneTableShareTheirShapeWhateverTheirValues() {
        ChangeSql sql = new ChangeSql();
        ChangeSql.Change a = sql.insert(T, row(text("1"), text("x"), Value.NULL));
        ChangeSql.Change b = sql.insert(T, row(text("2"), Value.NULL, text("{}")));
        assertThat(a.shape()).as("built once").isSameAs(b.shape());
        assertThat(a.sql()).contains("cast(? as").doesNotContain("'");
        assertThat(b.literals()).containsExactly("'2'", "null", "'{}'");
        AppliedRelation odd = new AppliedRelation(1, new QualifiedName("public", "what?"), List.of(new AppliedColumn("a?", ID.type(), true, true, false)), false);
        assertThat(new ChangeSql().insert(odd, row(text("5"))).inline()).as("a ? in a quoted name is no parameter")
                .isEqualTo("insert into \"public\".\"what?\" (\"a?\") values (cast('5' as \"pg_catalog\".\"int4\"))");
    }

    @Test
    void anUpdateShapeIsBuiltOncePerWayOfSettingAndMatching() {
        ChangeSql sql = new ChangeSql();
        ChangeSql.Change a = sql.update(T, Optional.empty(), row(text("1"), text("x"), text("{}")));
        ChangeSql.Change b = sql.update(T, Optional.empty(), row(text("2"), Value.NULL, text("[]")));
        ChangeSql.Change toast = sql.update(T, Optional.empty(), row(text("3"), text("y"), Value.UNCHANGED_TOAST));
        ChangeSql.Change moved = sql.update(T, Optional.of(new OldRow(OldKind.KEY, row(text("3"), Value.NULL, Value.NULL))),
                row(text("4"), text("y"), text("{}")));
        assertThat(b.shape()).as("a NULL is a value like any other").isSameAs(a.shape());
        assertThat(b.values()).containsExactly(null, "[]", "2");
        assertThat(toast.shape()).isNotSameAs(a.shape());
        assertThat(toast.values()).containsExactly("y", "3");
        assertThat(moved.values()).as("the key set from the new row, the row found by the old one").containsExactly("4", "y", "{}", "3");
        assertThat(sql.update(T, Optional.empty(), row(text("5"), text("z"), Value.UNCHANGED_TOAST)).shape()).isSameAs(toast.shape());
        OldRow key = new OldRow(OldKind.KEY, row(text("1"), Value.NULL, Value.NULL));
        assertThat(sql.delete(T, key).shape()).isSameAs(sql.delete(T, new OldRow(OldKind.KEY, row(text("9"), Value.NULL, Value.NULL))).shape());
        AppliedRelation again = new AppliedRelation(1, T.table(), T.columns(), false);
        assertThat(sql.insert(again, row(text("1"), Value.NULL, Value.NULL)).shape()).as("a new description of the relation, shapes of its own")
                .isNotSameAs(sql.insert(T, row(text("1"), Value.NULL, Value.NULL)).shape());
    }

    private static AppliedColumn arrayable(String name, String type, boolean key, char delimiter) {
        return new AppliedColumn(name, type, key, true, false, Optional.of(delimiter));
    }

    @Test
    void updatesFoundByTheirKeyGoAsOneStatementOverArraysOfTheirValues() {
        AppliedRelation r = new AppliedRelation(1, T.table(), List.of(arrayable("id", ID.type(), true, ','),
                arrayable("no\"te", NOTE.type(), false, ','), arrayable("b", "\"pg_catalog\".\"box\"", false, ';')), false);
        ChangeSql sql = new ChangeSql();
        ChangeSql.Change a = sql.update(r, Optional.empty(), row(text("1"), text("x\"y"), text("(1,1),(0,0)")));
        ChangeSql.Change b = sql.update(r, Optional.empty(), row(text("2"), Value.NULL, text("(2,2),(0,0)")));
        assertThat(a.shape().setSql()).contains("update \"public\".\"t\" as t set \"no\"\"te\" = v.p1, \"b\" = v.p2 from unnest("
                + "cast(? as \"pg_catalog\".\"text\"[]), cast(? as \"pg_catalog\".\"box\"[]), cast(? as \"pg_catalog\".\"int4\"[])) "
                + "as v(p1, p2, p3) where t.\"id\" = v.p3");
        assertThat(ChangeSql.setUpdate(a.shape(), List.of(a, b)))
                .containsExactly("{\"x\\\"y\",NULL}", "{\"(1,1),(0,0)\";\"(2,2),(0,0)\"}", "{\"1\",\"2\"}");
        // an unchanged TOAST value is left as it is here too
        assertThat(sql.update(r, Optional.empty(), row(text("3"), text("z"), Value.UNCHANGED_TOAST)).shape().setSql().orElseThrow())
                .contains("set \"no\"\"te\" = v.p1 from unnest(").doesNotContain("\"b\" =");
    }

    @Test
    void updatesThatMoveTheirKeyMatchAsTextOrHoldArraysGoOneByOne() {
        AppliedRelation r = new AppliedRelation(1, T.table(), List.of(arrayable("id", ID.type(), true, ','),
                arrayable("no\"te", NOTE.type(), false, ',')), false);
        ChangeSql sql = new ChangeSql();
        assertThat(sql.update(r, Optional.of(new OldRow(OldKind.KEY, row(text("1"), Value.NULL))), row(text("2"), text("x"))).shape().setSql())
                .as("the key changes").isEmpty();
        assertThat(sql.update(T, Optional.empty(), row(text("1"), text("x"), text("{}"))).shape().setSql())
                .as("columns whose values cannot go in arrays").isEmpty();
        AppliedRelation loose = new AppliedRelation(1, T.table(), List.of(new AppliedColumn("id", ID.type(), true, false, false, Optional.of(',')),
                arrayable("no\"te", NOTE.type(), false, ',')), false);
        assertThat(sql.update(loose, Optional.empty(), row(text("1"), text("x"))).shape().setSql()).as("a key compared as text").isEmpty();
        AppliedRelation full = new AppliedRelation(1, T.table(), List.of(arrayable("id", ID.type(), true, ','),
                arrayable("no\"te", NOTE.type(), true, ',')), true);
        assertThat(sql.update(full, Optional.of(new OldRow(OldKind.FULL, row(text("1"), text("x")))), row(text("1"), text("y"))).shape().setSql())
                .as("a full identity").isEmpty();
        assertThat(sql.insert(r, row(text("1"), text("x"))).shape().setSql()).isEmpty();
    }
}
