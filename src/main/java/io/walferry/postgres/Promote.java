package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** pg_promote: ends a standby's recovery. */
public final class Promote {
    private Promote() {
    }

    /** Asks for the promotion and waits up to {@code waitSeconds} for it; false if it did not finish in that time. */
    public static boolean promote(Connection c, int waitSeconds) throws SQLException {
        return Boolean.parseBoolean(Sql.one(c, "select pg_promote(true, ?)::text", Math.max(1, waitSeconds)));
    }
}
