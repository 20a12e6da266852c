package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.LogicalSlots.Slot;
import io.walferry.postgres.logical.StreamState;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CreateStartTest {
    private static final QualifiedName ORDERS = new QualifiedName("public", "orders");
    private static final String SOURCE = "node pg1/shop";

    private static Optional<Slot> slot(String type, String plugin, String database, boolean active) {
        return Optional.of(new Slot("walferry_s", type, plugin, database, active, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()));
    }

    private static Optional<StreamState> state(StreamState.Phase phase, String source) {
        return Optional.of(new StreamState("s", "walferry_s", "walferry_s", source, phase, List.of("\"public\".\"orders\""),
                Optional.empty(), Optional.of(new Lsn(100)), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.empty(),
                Instant.EPOCH, Instant.EPOCH));
    }

    private static CreateStart decide(Optional<StreamState> state, Optional<Slot> slot, Set<QualifiedName> onTarget, boolean restart) {
        return CreateStart.decide("s", "walferry_s", SOURCE, "shop", state, slot, List.of(ORDERS), onTarget, restart);
    }

    @Test
    void nothingThereStartsAfresh() {
        assertThat(decide(Optional.empty(), Optional.empty(), Set.of(), false)).isEqualTo(new CreateStart(CreateStart.Kind.FRESH, false, List.of()));
    }

    @Test
    void aCreateStoppedDuringTheCopyStartsOverDroppingOnlyWhatItMade() {
        CreateStart again = decide(state(StreamState.Phase.COPYING, SOURCE), slot("logical", "pgoutput", "shop", false), Set.of(ORDERS), false);
        assertThat(again).isEqualTo(new CreateStart(CreateStart.Kind.AGAIN, true, List.of("\"public\".\"orders\"")));
        assertThat(decide(state(StreamState.Phase.COPYING, SOURCE), Optional.empty(), Set.of(ORDERS), false).dropSlot()).isFalse();
    }

    @Test
    void aCreatedStreamIsLeftAloneUnlessRestarted() {
        Optional<Slot> slot = slot("logical", "pgoutput", "shop", false);
        assertThat(decide(state(StreamState.Phase.STREAMING, SOURCE), slot, Set.of(ORDERS), false).kind()).isEqualTo(CreateStart.Kind.CREATED);
        assertThat(decide(state(StreamState.Phase.STREAMING, SOURCE), slot, Set.of(ORDERS), true).kind()).isEqualTo(CreateStart.Kind.AGAIN);
        assertThatThrownBy(() -> decide(state(StreamState.Phase.STREAMING, SOURCE), slot("logical", "pgoutput", "shop", true), Set.of(), true))
                .hasMessageContaining("slot walferry_s of stream s is in use");
        assertThatThrownBy(() -> decide(state(StreamState.Phase.CUT_OVER, SOURCE), slot, Set.of(), false))
                .hasMessage("stream s was cut over");
        assertThatThrownBy(() -> decide(state(StreamState.Phase.STREAMING, SOURCE), Optional.empty(), Set.of(), false))
                .hasMessageContaining("is gone from the source").extracting(e -> ((WalferryException) e).hint())
                .asString().contains("walferry logical create s --restart");
    }

    @Test
    void nothingOfSomeoneElsesIsTakenOrDropped() {
        assertThatThrownBy(() -> decide(Optional.empty(), slot("logical", "pgoutput", "shop", false), Set.of(), false))
                .hasMessage("slot walferry_s exists on the source, but the target holds no stream s that made it");
        assertThatThrownBy(() -> decide(Optional.empty(), slot("physical", "", "", false), Set.of(), false))
                .hasMessage("slot walferry_s on the source is a physical slot, not the pgoutput slot of database shop that stream s needs");
        assertThatThrownBy(() -> decide(Optional.empty(), slot("logical", "test_decoding", "shop", false), Set.of(), false))
                .hasMessageContaining("is a logical slot of plugin test_decoding for database shop");
        assertThatThrownBy(() -> decide(Optional.empty(), Optional.empty(), Set.of(ORDERS), false))
                .hasMessage("the target has public.orders already, and walferry copies the schema itself");
        assertThatThrownBy(() -> decide(state(StreamState.Phase.COPYING, "other:5432/shop"), Optional.empty(), Set.of(), false))
                .hasMessage("the target holds stream s from other:5432/shop through slot walferry_s, not from node pg1/shop through slot walferry_s");
        QualifiedName items = new QualifiedName("public", "items");
        assertThatThrownBy(() -> CreateStart.decide("s", "walferry_s", SOURCE, "shop", state(StreamState.Phase.COPYING, SOURCE), Optional.empty(),
                List.of(ORDERS, items), Set.of(ORDERS, items), false)).hasMessageStartingWith("the target has public.items already");
    }
}
