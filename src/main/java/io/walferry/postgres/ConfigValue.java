package io.walferry.postgres;

/** A value as postgresql.conf reads it: in single quotes, with quotes doubled and backslashes escaped (its parser reads \ escapes). */
public final class ConfigValue {
    private ConfigValue() {
    }

    public static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
