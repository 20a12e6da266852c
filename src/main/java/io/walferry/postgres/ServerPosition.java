package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * What the router reads of a server on every check, in one cheap query: whether it is in recovery (and writable by
 * default), a primary's WAL position, and a replica's replay position and whether its WAL receiver streams.
 *
 * @param readOnlyByDefault new transactions are read-only (a primary fenced by promote --force serves no writes)
 */
public record ServerPosition(boolean inRecovery, boolean readOnlyByDefault, Optional<Lsn> current, Optional<Lsn> replayed,
                             boolean streaming) {
    public static ServerPosition read(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on', "
                     + "case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end, pg_last_wal_replay_lsn()::text, "
                     + "coalesce((select status = 'streaming' from pg_stat_wal_receiver), false)")) {
            r.next();
            return new ServerPosition(r.getBoolean(1), r.getBoolean(2), lsn(r.getString(3)), lsn(r.getString(4)), r.getBoolean(5));
        }
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }
}
