package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.SourceTables.TableColumn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableChoiceTest {
    static Table table(String schema, String name, char kind, char persistence, char identity, boolean pk, long bytes) {
        return new Table(1, new QualifiedName(schema, name), kind, persistence, identity, pk, false, true, true, bytes, bytes / 8192,
                List.of(new TableColumn("id", 23, "integer", false, Optional.empty())));
    }

    @Test
    void allAndSchemasSkipPartitionedParentsAndUnloggedTables() {
        Table orders = table("public", "orders", 'r', 'p', 'd', true, 0);
        Table parent = table("public", "events", 'p', 'p', 'd', true, 0);
        Table cache = table("public", "cache", 'r', 'u', 'd', true, 0);
        Table full = table("public", "log", 'r', 'p', 'f', false, 0);
        assertThat(TableChoice.choose("s", new Tables.All(), List.of(orders, parent, cache, full))).containsExactly(orders, full);
    }

    @Test
    void aTableWithoutIdentityIsRefusedWithTheFix() {
        Table noPk = table("public", "notes", 'r', 'p', 'd', false, 0);
        Table nothing = table("public", "audit", 'r', 'p', 'n', true, 0);
        assertThatThrownBy(() -> TableChoice.choose("s", new Tables.Schemas(List.of("public")), List.of(noPk, nothing)))
                .isInstanceOfSatisfying(WalferryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Failure.REFUSED);
                    assertThat(e.getMessage()).isEqualTo("cannot create logical stream s: public.notes has no replica identity (no primary "
                            + "key), so its updates and deletes could not be applied; public.audit has no replica identity (REPLICA "
                            + "IDENTITY NOTHING), so its updates and deletes could not be applied");
                    assertThat(e.hint()).startsWith("give public.notes a primary key, or ALTER TABLE public.notes REPLICA IDENTITY FULL");
                });
    }

    @Test
    void listedTablesMustExistAndBeOrdinaryAndLogged() {
        Table orders = table("public", "orders", 'r', 'p', 'd', true, 0);
        Table parent = table("public", "events", 'p', 'p', 'd', true, 0);
        Table cache = table("public", "cache", 'r', 'u', 'd', true, 0);
        QualifiedName missing = new QualifiedName("public", "nope");
        assertThatThrownBy(() -> TableChoice.choose("s", new Tables.Listed(List.of(orders.name(), parent.name(), cache.name(), missing)),
                List.of(orders, parent, cache)))
                .hasMessage("cannot create logical stream s: no table public.nope on the source; public.events is a partitioned table; "
                        + "public.cache is unlogged, and logical decoding never sees its changes");
        assertThatThrownBy(() -> TableChoice.choose("s", new Tables.Schemas(List.of("empty")), List.of()))
                .hasMessage("cannot create logical stream s: the selection of stream s names no table of the source");
    }
}
