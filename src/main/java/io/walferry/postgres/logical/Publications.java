package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Publications on a source: read one, create one for a list of tables, add tables, drop one. */
public final class Publications {
    private Publications() {
    }

    /**
     * A publication as the source has it.
     *
     * @param allTables  FOR ALL TABLES
     * @param publishes  the operations it publishes, as "insert, update, delete, truncate" (pubinsert, ...)
     * @param tables     the tables whose changes it sends (partitions of a published partitioned table included)
     */
    public record Publication(String name, boolean allTables, List<String> publishes, List<QualifiedName> tables) {
        public Publication {
            publishes = List.copyOf(publishes);
            tables = List.copyOf(tables);
        }
    }

    public static Optional<Publication> read(Connection c, String name) throws SQLException {
        boolean all;
        List<String> ops = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select puballtables, pubinsert, pubupdate, pubdelete, pubtruncate "
                + "from pg_publication where pubname = ?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                all = r.getBoolean(1);
                String[] names = {"insert", "update", "delete", "truncate"};
                for (int i = 0; i < names.length; i++) {
                    if (r.getBoolean(i + 2)) {
                        ops.add(names[i]);
                    }
                }
            }
        }
        List<QualifiedName> tables = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select schemaname, tablename from pg_publication_tables where pubname = ? order by 1, 2")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    tables.add(new QualifiedName(r.getString(1), r.getString(2)));
                }
            }
        }
        return Optional.of(new Publication(name, all, ops, tables));
    }

    /** The statement that creates the publication, for walferry to run or for a table owner to run when walferry's role may not. */
    public static String createStatement(String name, List<QualifiedName> tables) {
        return "CREATE PUBLICATION " + Identifiers.quote(name) + " FOR TABLE "
                + tables.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }

    public static void create(Connection c, String name, List<QualifiedName> tables) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(createStatement(name, tables));
        }
    }

    public static void addTables(Connection c, String name, List<QualifiedName> tables) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER PUBLICATION " + Identifiers.quote(name) + " ADD TABLE "
                    + tables.stream().map(Identifiers::quote).collect(Collectors.joining(", ")));
        }
    }

    public static void dropIfExists(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(name));
        }
    }
}
