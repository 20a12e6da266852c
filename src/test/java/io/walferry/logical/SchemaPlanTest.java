package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;
import io.walferry.postgres.logical.SchemaTransfer.TocEntry;
import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.SourceTables.TableColumn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaPlanTest {
    private static TocEntry entry(String description) {
        return new TocEntry("1; 2 3 " + description, description);
    }

    private static final Table T1 = new Table(1, new QualifiedName("public", "t1"), 'r', 'p', 'd', true, false, true, true, 0, 0,
            List.of(new TableColumn("m", 16386, "mood", false, Optional.of(new QualifiedName("public", "mood"))),
                    new TableColumn("ms", 16385, "mood[]", false, Optional.of(new QualifiedName("public", "mood"))),
                    new TableColumn("d", 16390, "posint", false, Optional.of(new QualifiedName("types", "posint")))));
    private static final Table T2 = new Table(2, new QualifiedName("sales", "t2"), 'r', 'p', 'd', true, false, true, true, 0, 0,
            List.of(new TableColumn("id", 23, "integer", false, Optional.empty())));

    @Test
    void selectsWhatPgDumpDumps() {
        assertThat(SchemaPlan.dumpSelection(new Tables.All(), List.of(T1, T2))).isEmpty();
        assertThat(SchemaPlan.dumpSelection(new Tables.Schemas(List.of("sales")), List.of(T2))).containsExactly("--schema=\"sales\"");
        assertThat(SchemaPlan.dumpSelection(new Tables.Listed(List.of(T1.name(), T2.name())), List.of(T1, T2)))
                .containsExactly("--table=\"public\".\"t1\"", "--table=\"sales\".\"t2\"");
    }

    @Test
    void aListOfTablesBringsTheTypesItUsesFromTheirSchemas() {
        Set<QualifiedName> types = SchemaPlan.typesToDump(new Tables.Listed(List.of(T1.name(), T2.name())), List.of(T1, T2));
        assertThat(types).containsExactly(new QualifiedName("public", "mood"), new QualifiedName("types", "posint"));
        assertThat(SchemaPlan.typesToDump(new Tables.All(), List.of(T1))).as("whole schemas hold their types").isEmpty();
        assertThat(SchemaPlan.typeDumpSelection(types)).containsExactly("--schema=\"public\"", "--schema=\"types\"");
        assertThat(SchemaPlan.schemas(List.of(T1, T2), types)).containsExactly("public", "sales", "types");
        List<TocEntry> toc = List.of(entry("SCHEMA - types postgres"), entry("TYPE public mood postgres"), entry("TYPE public other postgres"),
                entry("DOMAIN types posint postgres"), entry("TABLE public t1 postgres"), entry("FUNCTION public f() postgres"));
        assertThat(SchemaPlan.typesOnly(toc, types)).extracting(TocEntry::description)
                .containsExactly("TYPE public mood postgres", "DOMAIN types posint postgres");
    }

    @Test
    void schemasTheTargetHasAreNotCreatedAgain() {
        List<TocEntry> toc = List.of(entry("SCHEMA - public pg_database_owner"), entry("COMMENT - SCHEMA public pg_database_owner"),
                entry("SCHEMA - sales postgres"), entry("TABLE sales t2 postgres"), entry("COMMENT - TABLE t2 postgres"));
        assertThat(SchemaPlan.schemasCreated(toc)).containsExactly("public", "sales");
        assertThat(SchemaPlan.withoutExistingSchemas(toc, Set.of("public"))).extracting(TocEntry::description)
                .containsExactly("SCHEMA - sales postgres", "TABLE sales t2 postgres", "COMMENT - TABLE t2 postgres");
    }
}
