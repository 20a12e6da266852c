package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.Publications;
import io.walferry.postgres.logical.Publications.Publication;
import io.walferry.postgres.logical.SourceTables.Table;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What create does about the stream's publication: use one that publishes exactly the stream's tables and every
 * operation, create it, or add the tables it lacks. A publication that sends more (other tables: their changes would
 * arrive for tables the target does not have) or less (not every operation) is refused, and so is creating one where
 * the source role does not own the tables (PostgreSQL requires it): then the message gives the statement for the owner.
 * Pure.
 */
public record PublicationPlan(Action action, List<QualifiedName> toAdd) {
    public enum Action { USE, CREATE, ADD }

    private static final List<String> EVERY_OPERATION = List.of("insert", "update", "delete", "truncate");

    public static PublicationPlan decide(String stream, String name, Optional<Publication> existing, List<Table> chosen, boolean superuser) {
        List<QualifiedName> tables = chosen.stream().map(Table::name).toList();
        List<QualifiedName> notOwned = chosen.stream().filter(t -> !t.owned()).map(Table::name).toList();
        if (existing.isEmpty()) {
            requireOwner(stream, name, superuser, notOwned, tables, "create");
            return new PublicationPlan(Action.CREATE, tables);
        }
        Publication p = existing.get();
        if (!p.publishes().containsAll(EVERY_OPERATION)) {
            throw WalferryException.refused("publication " + name + " on the source publishes only " + String.join(", ", p.publishes())
                    + ", so stream " + stream + " would miss changes", "ALTER PUBLICATION " + name
                    + " SET (publish = 'insert, update, delete, truncate')");
        }
        Set<QualifiedName> wanted = new HashSet<>(tables);
        List<QualifiedName> extra = p.tables().stream().filter(t -> !wanted.contains(t)).toList();
        if (p.allTables() || !extra.isEmpty()) {
            throw WalferryException.refused("publication " + name + " on the source publishes " + (p.allTables() ? "all tables"
                    : "tables stream " + stream + " does not copy (" + String.join(", ", extra.stream().map(QualifiedName::toString).toList()) + ")"),
                    "set publication: to a name of its own for the stream (walferry creates it), or list those tables in tables:");
        }
        Set<QualifiedName> published = new HashSet<>(p.tables());
        List<QualifiedName> missing = tables.stream().filter(t -> !published.contains(t)).toList();
        if (missing.isEmpty()) {
            return new PublicationPlan(Action.USE, List.of());
        }
        requireOwner(stream, name, superuser, notOwned.stream().filter(missing::contains).toList(), missing, "add");
        return new PublicationPlan(Action.ADD, missing);
    }

    private static void requireOwner(String stream, String name, boolean superuser, List<QualifiedName> notOwned, List<QualifiedName> tables,
                                     String verb) {
        if (superuser || notOwned.isEmpty()) {
            return;
        }
        String statement = verb.equals("create") ? Publications.createStatement(name, tables)
                : "ALTER PUBLICATION " + name + " ADD TABLE " + String.join(", ", tables.stream().map(QualifiedName::toString).toList());
        throw WalferryException.refused("the source role does not own " + String.join(", ", notOwned.stream().map(QualifiedName::toString).toList())
                + ", and only a table's owner may " + verb + " a publication for it (stream " + stream + ")",
                "have the owner run: " + statement + "; then run logical create again");
    }
}
