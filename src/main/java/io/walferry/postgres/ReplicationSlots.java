package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** Physical replication slots on a primary: made for a replica, dropped when no replica uses them. */
public final class ReplicationSlots {
    private ReplicationSlots() {
    }

    /** The physical slot a streaming replica of this node name uses on its primary. */
    public static String replicaSlotName(String node) {
        return "walferry_" + node.toLowerCase().replaceAll("[^a-z0-9_]", "_");
    }

    /** The names of the server's physical slots. */
    public static java.util.List<String> physicalNames(Connection c) throws SQLException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (java.sql.Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("select slot_name from pg_replication_slots where slot_type = 'physical'")) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    /** Creates the slot (reserving WAL at once) unless it exists; true if this call created it. */
    public static boolean ensurePhysical(Connection c, String slot) throws SQLException {
        return Sql.maybe(c, "select pg_create_physical_replication_slot(?, true)::text "
                + "where not exists (select 1 from pg_replication_slots where slot_name = ?)", slot, slot).isPresent();
    }

    /** Where the slot keeps WAL from (its restart_lsn); empty if there is no such slot or it reserves none. */
    public static java.util.Optional<Lsn> restartLsn(Connection c, String slot) throws SQLException {
        return Sql.maybe(c, "select restart_lsn::text from pg_replication_slots where slot_name = ? and restart_lsn is not null", slot)
                .map(Lsn::parse);
    }

    /** A slot as the primary sees it: whether a session streams through it, and where it keeps WAL from. */
    public record Held(boolean active, java.util.Optional<Lsn> restart) {
    }

    /** The slot's state; empty if there is no such slot. */
    public static java.util.Optional<Held> held(Connection c, String slot) throws SQLException {
        return Sql.maybe(c, "select active::text || ' ' || coalesce(restart_lsn::text, '') from pg_replication_slots where slot_name = ?", slot)
                .map(v -> {
                    String[] f = (v + " ").split(" ", -1);
                    return new Held(f[0].equals("true"), f[1].isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(Lsn.parse(f[1])));
                });
    }

    /** Drops the slot if it exists and no replica streams through it. */
    public static void dropIfInactive(Connection c, String slot) throws SQLException {
        Sql.run(c, "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ? and not active", slot);
    }
}
