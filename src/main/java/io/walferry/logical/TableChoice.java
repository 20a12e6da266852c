package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.SourceTables.Table;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The tables a stream replicates, out of those its selection found on the source, or why it cannot: a listed table
 * that does not exist, a table whose updates and deletes could not be matched on the target (no replica identity), an
 * unlogged table (never decoded), a partitioned table named itself (its partitions carry the rows). Pure.
 */
public final class TableChoice {
    private TableChoice() {
    }

    public static List<Table> choose(String stream, Tables selection, List<Table> found) {
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        if (selection instanceof Tables.Listed listed) {
            Set<QualifiedName> there = found.stream().map(Table::name).collect(Collectors.toSet());
            List<String> missing = listed.tables().stream().filter(t -> !there.contains(t)).map(QualifiedName::toString).toList();
            if (!missing.isEmpty()) {
                problems.add("no table " + String.join(", ", missing) + " on the source");
                fixes.add("check the names in tables: (as the catalog stores them, case-sensitive)");
            }
        }
        List<Table> chosen = new ArrayList<>();
        for (Table t : found) {
            if (t.kind() == 'p') {
                if (selection instanceof Tables.Listed) {
                    problems.add(t.name() + " is a partitioned table");
                    fixes.add("list its partitions instead of " + t.name());
                }
                continue; // with all or a schema, its partitions are chosen themselves
            }
            if (t.persistence() == 'u') {
                if (selection instanceof Tables.Listed) {
                    problems.add(t.name() + " is unlogged, and logical decoding never sees its changes");
                    fixes.add("ALTER TABLE " + t.name() + " SET LOGGED, or leave it out");
                }
                continue;
            }
            if (!t.readable()) {
                problems.add("the source role may not read " + t.name());
                fixes.add("GRANT SELECT ON " + t.name() + " TO the source role");
            }
            boolean identity = switch (t.identity()) {
                case 'd' -> t.hasPrimaryKey();
                case 'i' -> t.hasIdentityIndex();
                case 'f' -> true;
                default -> false;
            };
            if (!identity) {
                problems.add(t.name() + " has no replica identity (" + (t.identity() == 'n' ? "REPLICA IDENTITY NOTHING" : "no primary key")
                        + "), so its updates and deletes could not be applied");
                fixes.add("give " + t.name() + " a primary key, or ALTER TABLE " + t.name()
                        + " REPLICA IDENTITY FULL (every update and delete then carries the whole old row)");
            }
            chosen.add(t);
        }
        if (problems.isEmpty() && chosen.isEmpty()) {
            problems.add("the selection of stream " + stream + " names no table of the source");
            fixes.add("check tables: and the source's database");
        }
        if (!problems.isEmpty()) {
            throw WalferryException.refused("cannot create logical stream " + stream + ": " + String.join("; ", problems),
                    String.join("; ", fixes));
        }
        return chosen;
    }
}
