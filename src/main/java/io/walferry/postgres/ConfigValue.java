package io.walferry.postgres;

/**
 * A value as postgresql.conf reads it: in single quotes, with quotes doubled and backslashes, line feeds and
 * carriage returns escaped (its parser reads \ escapes, and a line break would end the value).
 */
public final class ConfigValue {
    private ConfigValue() {
    }

    public static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''").replace("\n", "\\n").replace("\r", "\\r") + "'";
    }
}
