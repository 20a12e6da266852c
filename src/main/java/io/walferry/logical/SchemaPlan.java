package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;
import io.walferry.postgres.logical.Identifiers;
import io.walferry.postgres.logical.SchemaTransfer.TocEntry;
import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.SourceTables.TableColumn;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the schema copy dumps and restores. The whole database for {@code all}, its schemas for a schema selection,
 * the tables themselves for a list (with their sequences, defaults, constraints, indexes and triggers; pg_dump leaves
 * out the types they use, so those come from a second dump of their schemas). Schemas the target has already (public)
 * are not created again. Pure.
 */
public final class SchemaPlan {
    private SchemaPlan() {
    }

    /** pg_dump's options that choose what the main dump holds. */
    public static List<String> dumpSelection(Tables selection, List<Table> chosen) {
        return switch (selection) {
            case Tables.All a -> List.of();
            case Tables.Schemas s -> s.schemas().stream().map(n -> "--schema=" + Identifiers.quote(n)).toList();
            case Tables.Listed l -> chosen.stream().map(t -> "--table=" + Identifiers.quote(t.name())).toList();
        };
    }

    /** The types that are not built in which the chosen tables' columns use, where the main dump leaves them out (a list of tables). */
    public static Set<QualifiedName> typesToDump(Tables selection, List<Table> chosen) {
        Set<QualifiedName> types = new LinkedHashSet<>();
        if (selection instanceof Tables.Listed) {
            for (Table t : chosen) {
                t.columns().stream().map(TableColumn::userType).flatMap(Optional::stream).forEach(types::add);
            }
        }
        return types;
    }

    /** The schemas the stream's tables and those types live in: created on the target before anything else. */
    public static Set<String> schemas(List<Table> chosen, Set<QualifiedName> types) {
        Set<String> schemas = new TreeSet<>();
        chosen.forEach(t -> schemas.add(t.name().schema()));
        types.forEach(t -> schemas.add(t.schema()));
        return schemas;
    }

    /** pg_dump's options for the dump of the types' schemas. */
    public static List<String> typeDumpSelection(Set<QualifiedName> types) {
        return types.stream().map(QualifiedName::schema).distinct().map(n -> "--schema=" + Identifiers.quote(n)).toList();
    }

    /** The schemas a table of contents creates ("SCHEMA - sales owner"). */
    public static Set<String> schemasCreated(List<TocEntry> toc) {
        Set<String> out = new TreeSet<>();
        for (TocEntry e : toc) {
            schemaOf(e.description(), "SCHEMA - ").ifPresent(out::add);
        }
        return out;
    }

    /** The entries to restore: all but the schemas (and their comments) the target has. */
    public static List<TocEntry> withoutExistingSchemas(List<TocEntry> toc, Set<String> existing) {
        List<TocEntry> out = new ArrayList<>();
        for (TocEntry e : toc) {
            Optional<String> schema = schemaOf(e.description(), "SCHEMA - ").or(() -> schemaOf(e.description(), "COMMENT - SCHEMA "));
            if (schema.isEmpty() || !existing.contains(schema.get())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The entries of the type dump that create the types wanted ("TYPE public mood owner", "DOMAIN public positive owner"). */
    public static List<TocEntry> typesOnly(List<TocEntry> toc, Set<QualifiedName> types) {
        List<TocEntry> out = new ArrayList<>();
        for (TocEntry e : toc) {
            for (String kind : List.of("TYPE ", "DOMAIN ")) {
                if (e.description().startsWith(kind)) {
                    String[] words = e.description().substring(kind.length()).split(" ");
                    if (words.length == 3 && types.contains(new QualifiedName(words[0], words[1]))) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    /** The schema named by an entry that starts with {@code prefix} and ends with its owner. */
    private static Optional<String> schemaOf(String description, String prefix) {
        if (!description.startsWith(prefix)) {
            return Optional.empty();
        }
        String rest = description.substring(prefix.length());
        int owner = rest.lastIndexOf(' ');
        return Optional.of(owner < 0 ? rest : rest.substring(0, owner));
    }
}
