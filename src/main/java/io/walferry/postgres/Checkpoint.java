package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** An immediate checkpoint: after a promotion, it puts the new timeline into pg_control, where pg_rewind reads it. */
public final class Checkpoint {
    private Checkpoint() {
    }

    public static void run(Connection c) throws SQLException {
        Sql.run(c, "checkpoint");
    }
}
