package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Whether a server is in recovery, and the WAL it holds: what it received by streaming (empty if it never streamed)
 * and what it replayed. Cheap enough to poll.
 */
public record ReplayState(boolean inRecovery, Optional<Lsn> received, Optional<Lsn> replayed) {
    public static ReplayState read(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select pg_is_in_recovery(), pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text")) {
            r.next();
            return new ReplayState(r.getBoolean(1), lsn(r.getString(2)), lsn(r.getString(3)));
        }
    }

    /** The most WAL it holds: received or replayed, whichever is further. */
    public Optional<Lsn> most() {
        if (received.isEmpty()) {
            return replayed;
        }
        if (replayed.isEmpty()) {
            return received;
        }
        return Optional.of(received.get().compareTo(replayed.get()) >= 0 ? received.get() : replayed.get());
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }
}
