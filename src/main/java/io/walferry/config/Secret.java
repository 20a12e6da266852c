package io.walferry.config;

import java.util.Objects;

/**
 * A resolved secret (a password, a key). Its text is reachable only through {@link #reveal()}, so that
 * logging, status output or an exception message built from a config record never shows it.
 *
 * @param value  the secret itself
 * @param source where it came from, safe to show: "env:NAME", "file:/path" or "inline"
 */
public record Secret(String value, String source) {
    public Secret {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(source, "source");
    }

    public String reveal() {
        return value;
    }

    public boolean inline() {
        return source.equals("inline");
    }

    @Override
    public String toString() {
        return "Secret[" + source + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value) && s.source.equals(source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, source);
    }
}
