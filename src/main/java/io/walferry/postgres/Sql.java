package io.walferry.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The few shapes every typed query of the postgres layer takes (this package and its sub-packages): one value of the
 * first row, or a statement run for its effect.
 */
public final class Sql {
    private Sql() {
    }

    /** The first column of the first row as text (null for SQL NULL); the query must return a row. */
    public static String one(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement p = prepare(c, sql, parameters); ResultSet r = p.executeQuery()) {
            if (!r.next()) {
                throw new SQLException("no row from: " + sql);
            }
            return r.getString(1);
        }
    }

    /** As {@link #one}, empty for no row or NULL. */
    public static Optional<String> maybe(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement p = prepare(c, sql, parameters); ResultSet r = p.executeQuery()) {
            return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
        }
    }

    /** The first column of the first row as a boolean; the query must return a row. */
    public static boolean flag(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement p = prepare(c, sql, parameters); ResultSet r = p.executeQuery()) {
            if (!r.next()) {
                throw new SQLException("no row from: " + sql);
            }
            return r.getBoolean(1);
        }
    }

    public static void run(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement p = prepare(c, sql, parameters)) {
            p.execute();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement p = c.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            p.setObject(i + 1, parameters[i]);
        }
        return p;
    }

    /** A string as an SQL literal, for the statements that take no parameters (ALTER SYSTEM). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
