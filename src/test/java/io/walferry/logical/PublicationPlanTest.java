package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.Publications.Publication;
import io.walferry.postgres.logical.SourceTables.Table;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublicationPlanTest {
    private static final Table ORDERS = TableChoiceTest.table("public", "orders", 'r', 'p', 'd', true, 0);
    private static final Table ITEMS = TableChoiceTest.table("public", "items", 'r', 'p', 'd', true, 0);
    private static final List<String> ALL_OPS = List.of("insert", "update", "delete", "truncate");

    private static Table notOwned(Table t) {
        return new Table(t.oid(), t.name(), t.kind(), t.persistence(), t.identity(), t.hasPrimaryKey(), t.hasIdentityIndex(), false,
                t.readable(), t.bytes(), t.pages(), t.columns());
    }

    @Test
    void createsUsesOrCompletesThePublication() {
        assertThat(PublicationPlan.decide("s", "p", Optional.empty(), List.of(ORDERS, ITEMS), false))
                .isEqualTo(new PublicationPlan(PublicationPlan.Action.CREATE, List.of(ORDERS.name(), ITEMS.name())));
        Publication both = new Publication("p", false, ALL_OPS, List.of(ITEMS.name(), ORDERS.name()));
        assertThat(PublicationPlan.decide("s", "p", Optional.of(both), List.of(ORDERS, ITEMS), false).action()).isEqualTo(PublicationPlan.Action.USE);
        Publication one = new Publication("p", false, ALL_OPS, List.of(ORDERS.name()));
        assertThat(PublicationPlan.decide("s", "p", Optional.of(one), List.of(ORDERS, ITEMS), false))
                .isEqualTo(new PublicationPlan(PublicationPlan.Action.ADD, List.of(ITEMS.name())));
    }

    @Test
    void aPublicationThatSendsMoreOrLessIsRefused() {
        assertThatThrownBy(() -> PublicationPlan.decide("s", "p", Optional.of(new Publication("p", true, ALL_OPS, List.of())), List.of(ORDERS), false))
                .hasMessage("publication p on the source publishes all tables");
        assertThatThrownBy(() -> PublicationPlan.decide("s", "p", Optional.of(new Publication("p", false, ALL_OPS,
                List.of(ORDERS.name(), new QualifiedName("x", "y")))), List.of(ORDERS), false))
                .hasMessage("publication p on the source publishes tables stream s does not copy (x.y)");
        assertThatThrownBy(() -> PublicationPlan.decide("s", "p", Optional.of(new Publication("p", false, List.of("insert"),
                List.of(ORDERS.name()))), List.of(ORDERS), false))
                .hasMessage("publication p on the source publishes only insert, so stream s would miss changes");
    }

    @Test
    void onlyTheOwnerMayPublishATable_soTheOwnerIsGivenTheStatement() {
        assertThatThrownBy(() -> PublicationPlan.decide("s", "p", Optional.empty(), List.of(ORDERS, notOwned(ITEMS)), false))
                .hasMessage("the source role does not own public.items, and only a table's owner may create a publication for it (stream s)")
                .extracting(e -> ((io.walferry.failure.WalferryException) e).hint())
                .isEqualTo("have the owner run: CREATE PUBLICATION \"p\" FOR TABLE \"public\".\"orders\", \"public\".\"items\"; then run "
                        + "logical create again");
        assertThat(PublicationPlan.decide("s", "p", Optional.empty(), List.of(notOwned(ITEMS)), true).action())
                .as("a superuser may").isEqualTo(PublicationPlan.Action.CREATE);
    }
}
