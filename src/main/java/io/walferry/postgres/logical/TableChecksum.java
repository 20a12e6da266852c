package io.walferry.postgres.logical;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A table's row count and an order-independent checksum of its rows: the sum of a 64-bit hash of each row's text (in
 * the order of the columns given, so both servers hash the same thing). Equal rows in any order give the same sum; a
 * row missing, changed or there twice changes it.
 */
public final class TableChecksum {
    private TableChecksum() {
    }

    public record Sum(long rows, String checksum) {
    }

    /**
     * Sets what the text of a value depends on to one fixed form, and opens a repeatable-read transaction (every table
     * read in one snapshot); the caller ends it.
     */
    public static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("set transaction isolation level repeatable read, read only");
            for (String setting : List.of("timezone = 'UTC'", "datestyle = 'ISO, YMD'", "intervalstyle = 'postgres'", "extra_float_digits = 3",
                    "bytea_output = 'hex'", "lc_monetary = 'C'")) {
                s.execute("set local " + setting);
            }
        }
    }

    /** The table's columns in their order ({@code table} quoted). */
    public static List<String> columns(Connection c, String table) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select attname from pg_attribute where attrelid = ?::regclass and attnum > 0 "
                + "and not attisdropped order by attnum")) {
            p.setString(1, table);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    columns.add(r.getString(1));
                }
            }
        }
        return columns;
    }

    /**
     * The table's sum, or empty when the table cannot be read (it is missing or differs on this side): the transaction
     * goes on, so that the other tables are still compared.
     */
    public static Optional<Sum> sumIfReadable(Connection c, String table, List<String> columns, java.util.function.Consumer<SQLException> unreadable)
            throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("savepoint walferry_table");
            try {
                return Optional.of(sum(c, table, columns));
            } catch (SQLException e) {
                unreadable.accept(e);
                s.execute("rollback to savepoint walferry_table");
                return Optional.empty();
            }
        }
    }

    public static Sum sum(Connection c, String table, List<String> columns) throws SQLException {
        String row = "row(" + String.join(", ", columns.stream().map(Identifiers::quote).toList()) + ")::text";
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select count(*), coalesce(sum(('x' || substr(md5(" + row
                + "), 1, 16))::bit(64)::bigint::numeric), 0)::text from " + table)) {
            r.next();
            return new Sum(r.getLong(1), r.getString(2));
        }
    }
}
