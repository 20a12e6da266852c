package io.walferry.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A server's settings: read, and set for good with ALTER SYSTEM (taking effect at the next reload). */
public final class ServerSettings {
    private ServerSettings() {
    }

    /** The current value of each named setting this server has (from pg_settings). */
    public static Map<String, String> read(Connection c, List<String> names) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("select name, setting from pg_settings where name = any(?)")) {
            p.setArray(1, c.createArrayOf("text", names.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getString(2));
                }
            }
        }
        return out;
    }

    /** This session's value of a setting: what a new session starts with, once the server has reloaded. */
    public static String current(Connection c, String name) throws SQLException {
        return Sql.one(c, "select current_setting(?)", name);
    }

    /** ALTER SYSTEM SET name = value; {@code name} is one of walferry's own, never user input. */
    public static void alterSystem(Connection c, String name, String value) throws SQLException {
        if (!name.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a setting name: " + name);
        }
        Sql.run(c, "alter system set " + name + " = " + Sql.literal(value));
    }

    public static void reload(Connection c) throws SQLException {
        Sql.run(c, "select pg_reload_conf()");
    }
}
