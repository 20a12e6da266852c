package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The WAL stream into the repositories (archive.stream) as its primary sees it: the slot, how far every required
 * repository holds the WAL (the slot's restart_lsn, docs/streaming.md), and the stream's replication connection.
 *
 * @param active        a session streams through the slot now
 * @param storedLsn     what every required repository holds (the slot's restart_lsn); empty if it reserves none
 * @param lagBytes      WAL written on the primary and not yet stored (the WAL the slot holds for the stream)
 * @param lagSeconds    PostgreSQL's flush_lag of the stream's connection: from a flush on the primary to its storage
 *                      confirmed; empty when not connected or nothing was confirmed lately
 * @param syncState     pg_stat_replication.sync_state of the stream's connection (async, sync, potential, quorum)
 * @param inSynchronousSet the stream's name is in synchronous_standby_names
 */
public record WalStreamState(String slot, boolean active, Optional<Lsn> storedLsn, Optional<Long> lagBytes, Optional<Double> lagSeconds,
                             Optional<String> syncState, boolean inSynchronousSet) {

    /** The stream of the slot {@code slot} on a primary; empty when there is no such slot. */
    public static Optional<WalStreamState> read(Connection c, String slot) throws SQLException {
        Optional<ReplicationSlots.Held> held = ReplicationSlots.held(c, slot);
        if (held.isEmpty()) {
            return Optional.empty();
        }
        String[] f = Sql.one(c, "select coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), (select restart_lsn from pg_replication_slots "
                + "where slot_name = ?))::bigint::text, '') || '|' || coalesce((select coalesce(extract(epoch from flush_lag)::text, '') || '|' || sync_state "
                + "from pg_stat_replication where application_name = ? order by backend_start desc limit 1), '|')", slot, slot).split("\\|", -1);
        boolean inSet = SynchronousNames.parse(ServerSettings.current(c, "synchronous_standby_names")).includes(slot);
        return Optional.of(new WalStreamState(slot, held.get().active(), held.get().restart(),
                f[0].isEmpty() ? Optional.empty() : Optional.of(Math.max(0, Long.parseLong(f[0]))),
                f[1].isEmpty() ? Optional.empty() : Optional.of(Double.parseDouble(f[1])),
                f[2].isEmpty() ? Optional.empty() : Optional.of(f[2]), inSet));
    }
}
