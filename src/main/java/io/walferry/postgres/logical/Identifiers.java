package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;

/** SQL identifiers quoted as PostgreSQL's quote_ident does it always: in double quotes, inner quotes doubled. */
public final class Identifiers {
    private Identifiers() {
    }

    public static String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an identifier cannot hold a NUL character");
        }
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    public static String quote(QualifiedName name) {
        return quote(name.schema()) + "." + quote(name.name());
    }
}
