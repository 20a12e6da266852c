package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.AppliedRelation.AppliedColumn;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionKeysTest {
    private static final QualifiedName ACCOUNTS = new QualifiedName("public", "accounts");
    private static final QualifiedName EVENTS = new QualifiedName("public", "events");
    private static final QualifiedName USERS = new QualifiedName("public", "users");
    private static final QualifiedName ORDERS = new QualifiedName("public", "orders");
    private static final QualifiedName PARENTS = new QualifiedName("public", "parents");
    private static final QualifiedName CHILDREN = new QualifiedName("public", "children");

    private static final AppliedRelation ACCOUNTS_R = relation(ACCOUNTS, false);
    private static final AppliedRelation EVENTS_R = relation(EVENTS, true);
    private static final AppliedRelation USERS_R = relation(USERS, false);
    private static final AppliedRelation ORDERS_R = relation(ORDERS, false);
    private static final AppliedRelation PARENTS_R = relation(PARENTS, false);
    private static final AppliedRelation CHILDREN_R = relation(CHILDREN, false);

    /** orders and users have only their primary key unique; users also has a unique email; parents and children a foreign key. */
    private final TransactionKeys keys = new TransactionKeys(Set.of(PARENTS, CHILDREN),
            Map.of(ACCOUNTS, Set.of("id"), USERS, Set.of("id", "email")));

    private static AppliedRelation relation(QualifiedName table, boolean full) {
        return new AppliedRelation(1, table, List.of(new AppliedColumn("id", "bigint", true, true, false),
                new AppliedColumn("email", "text", false, true, false)), full);
    }

    private static TupleData row(String id, String other) {
        return new TupleData(List.of(text(id), text(other)));
    }

    private static Value text(String s) {
        return new Value(Kind.TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    private KeySet insert(AppliedRelation r, String id) {
        return keys.of(List.of(new SourceChange.Insert(r, row(id, "x"))));
    }

    @Test
    void changesOfDistinctRowsDoNotOverlapAndOfOneRowDo() {
        KeySet one = keys.of(List.of(new SourceChange.Update(ACCOUNTS_R, Optional.empty(), row("1", "a")),
                new SourceChange.Insert(ORDERS_R, row("10", "b"))));
        KeySet two = keys.of(List.of(new SourceChange.Update(ACCOUNTS_R, Optional.empty(), row("2", "a")),
                new SourceChange.Insert(ORDERS_R, row("11", "b"))));
        KeySet three = keys.of(List.of(new SourceChange.Delete(ACCOUNTS_R, new OldRow(OldKind.KEY,
                new TupleData(List.of(text("1"), Value.NULL))))));
        assertThat(one.overlaps(two)).isFalse();
        assertThat(one.overlaps(three)).as("the same account row").isTrue();
        assertThat(two.overlaps(three)).isFalse();
    }

    @Test
    void anUpdateThatMovesTheKeyHoldsTheOldAndTheNewKey() {
        KeySet move = keys.of(List.of(new SourceChange.Update(ACCOUNTS_R, Optional.of(new OldRow(OldKind.KEY,
                new TupleData(List.of(text("5"), Value.NULL)))), row("6", "a"))));
        assertThat(move.overlaps(insert(ACCOUNTS_R, "5"))).isTrue();
        assertThat(move.overlaps(insert(ACCOUNTS_R, "6"))).isTrue();
        assertThat(move.overlaps(insert(ACCOUNTS_R, "7"))).isFalse();
    }

    @Test
    void truncateFullIdentityAndAnotherUniqueIndexTakeTheWholeTable() {
        KeySet truncate = keys.of(List.of(new SourceChange.Truncate(List.of(ORDERS_R), false)));
        assertThat(truncate.overlaps(insert(ORDERS_R, "1"))).isTrue();
        assertThat(truncate.overlaps(insert(ACCOUNTS_R, "1"))).isFalse();
        KeySet deleteEvent = keys.of(List.of(new SourceChange.Delete(EVENTS_R, new OldRow(OldKind.FULL, row("1", "x")))));
        assertThat(deleteEvent.overlaps(insert(EVENTS_R, "2"))).as("replica identity full: found by all its values").isTrue();
        assertThat(deleteEvent.overlaps(insert(ACCOUNTS_R, "1"))).isFalse();
        assertThat(insert(USERS_R, "1").overlaps(insert(USERS_R, "2"))).as("two rows may trade a unique email").isTrue();
        assertThat(insert(USERS_R, "1").overlaps(insert(ACCOUNTS_R, "1"))).isFalse();
    }

    @Test
    void insertsIntoATableWithAFullIdentityAndNoUniqueIndexDoNotConflict() {
        assertThat(insert(EVENTS_R, "1").overlaps(insert(EVENTS_R, "2"))).isFalse();
        assertThat(insert(EVENTS_R, "1").overlaps(keys.of(List.of(new SourceChange.Truncate(List.of(EVENTS_R), false))))).isTrue();
        AppliedRelation uniqueFull = new AppliedRelation(1, USERS, USERS_R.columns(), true);
        assertThat(insert(uniqueFull, "1").overlaps(insert(uniqueFull, "2"))).as("a unique email").isTrue();
    }

    @Test
    void tablesLinkedByAForeignKeyShareOneKeyAcrossTables() {
        assertThat(insert(PARENTS_R, "1").overlaps(insert(CHILDREN_R, "2"))).as("a child and its parent").isTrue();
        assertThat(insert(CHILDREN_R, "1").overlaps(insert(ACCOUNTS_R, "1"))).isFalse();
    }

    @Test
    void aKeyValueNotSentTakesTheWholeTable() {
        KeySet unsent = keys.of(List.of(new SourceChange.Update(ACCOUNTS_R, Optional.empty(),
                new TupleData(List.of(Value.UNCHANGED_TOAST, text("a"))))));
        assertThat(unsent.overlaps(insert(ACCOUNTS_R, "99"))).isTrue();
    }

    @Test
    void whatALaneHoldsIsTheUnionOfItsTransactions() {
        KeySet.Builder lane = new KeySet.Builder().add(insert(ACCOUNTS_R, "1")).add(insert(ORDERS_R, "2"));
        assertThat(lane.overlaps(insert(ORDERS_R, "2"))).isTrue();
        assertThat(lane.overlaps(insert(ORDERS_R, "3"))).isFalse();
        assertThat(lane.overlaps(keys.of(List.of(new SourceChange.Truncate(List.of(ACCOUNTS_R), false))))).isTrue();
    }
}
