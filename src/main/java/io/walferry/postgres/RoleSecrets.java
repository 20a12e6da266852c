package io.walferry.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * A role's stored password (a SCRAM verifier, an MD5 hash), read for the router's {@code auth_query} as PgBouncer's
 * auth_query does: by a query the DBA allows the router's role to run, through a SECURITY DEFINER function over
 * {@code pg_shadow} (which only superusers may read). See docs/router.md for the function.
 */
public final class RoleSecrets {
    /** The query run when none is configured: the function docs/router.md has the DBA create. */
    public static final String DEFAULT_QUERY = "select passwd from walferry.user_secret($1)";

    private RoleSecrets() {
    }

    /**
     * The {@code passwd} column of the one row {@code query} returns for {@code user} (every {@code $1} in the query
     * stands for it), or empty: no row (no such role, or one that cannot log in) or a null password.
     *
     * @throws SQLException the query failed, returned no {@code passwd} column, or more than one row
     */
    public static Optional<String> lookup(Connection c, String query, String user) throws SQLException {
        String[] parts = query.split("\\$1(?![0-9])", -1);
        try (PreparedStatement s = c.prepareStatement(String.join("?", parts))) {
            for (int i = 1; i < parts.length; i++) {
                s.setString(i, user);
            }
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                Optional<String> secret = Optional.ofNullable(r.getString(r.findColumn("passwd")));
                if (r.next()) {
                    throw new SQLException("the auth query returned more than one row for one user");
                }
                return secret;
            }
        }
    }
}
