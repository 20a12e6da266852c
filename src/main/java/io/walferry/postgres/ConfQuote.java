package io.walferry.postgres;

/**
 * A string value as PostgreSQL's configuration file parser reads it back intact: in single quotes, a quote
 * doubled, and a backslash, line feed or carriage return escaped, since that parser takes backslash escapes
 * in quoted values ('a\b' would reach the server as "a" and a backspace) and ends a value at a line break.
 */
public final class ConfQuote {
    private ConfQuote() {
    }

    public static String quote(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\'' -> b.append("''");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.append('\'').toString();
    }
}
