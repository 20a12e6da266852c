package io.walferry.monitor;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One look at every configured node: role, timeline, WAL positions, lag behind the primary in bytes and
 * seconds, the primary's replication slots with the WAL each holds back, each node's archiver, and whether
 * more than one primary takes writes.
 */
public final class ClusterStatus {
    /** A replication slot on the primary. */
    public record Slot(String name, boolean active, String restartLsn, Long heldBytes) {
    }

    /** pg_stat_archiver of a node. */
    public record Archiver(long archived, String lastArchived, String lastArchivedTime, long failed, String lastFailed,
                           String lastFailedTime) {
    }

    /**
     * A node as seen now; {@code error} is set (and the rest empty) when it could not be reached. {@code writable}: a
     * primary whose new transactions may write (not fenced read-only); {@code warning} is set on every writable
     * primary when there are several, as clients may write to each and their data diverges.
     */
    public record Node(String name, String region, String role, Integer timeline, String currentLsn, String receiveLsn,
                       String replayLsn, Long lagBytes, Double lagSeconds, List<Slot> slots, Archiver archiver, Boolean writable,
                       String warning, String error) {
        Node withLag(long bytes) {
            Double seconds = bytes <= 0 ? Double.valueOf(0) : lagSeconds;
            return new Node(name, region, role, timeline, currentLsn, receiveLsn, replayLsn, Math.max(0, bytes), seconds, slots, archiver,
                    writable, warning, error);
        }

        Node withWarning(String w) {
            return new Node(name, region, role, timeline, currentLsn, receiveLsn, replayLsn, lagBytes, lagSeconds, slots, archiver,
                    writable, w, error);
        }
    }

    /** The primaries that take writes, when there is more than one: the warning status shows. */
    public static List<String> writablePrimaries(List<Node> nodes) {
        List<String> w = nodes.stream().filter(n -> Boolean.TRUE.equals(n.writable())).map(Node::name).toList();
        return w.size() > 1 ? w : List.of();
    }

    private final WalferryConfig config;
    private final PgConnector pg;

    public ClusterStatus(WalferryConfig config, PgConnector pg) {
        this.config = config;
        this.pg = pg;
    }

    public List<Node> read() {
        List<Node> nodes = new ArrayList<>();
        Optional<NodeConfig> primary = Optional.empty();
        for (NodeConfig n : config.nodes()) {
            Node node = read(n);
            nodes.add(node);
            if ("primary".equals(node.role())) {
                primary = Optional.of(n);
            }
        }
        List<String> writable = writablePrimaries(nodes);
        if (!writable.isEmpty()) {
            String w = writable.size() + " writable primaries: " + String.join(", ", writable);
            nodes.replaceAll(n -> Boolean.TRUE.equals(n.writable()) ? n.withWarning(w) : n);
        }
        // Lag in bytes needs the primary's position, taken again after the replicas' so that it is not older than theirs.
        Optional<String> primaryLsn = primary.flatMap(this::currentLsn);
        if (primaryLsn.isEmpty()) {
            return nodes;
        }
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            out.add(n.role() != null && n.role().equals("replica") && n.replayLsn() != null
                    ? n.withLag(lagBytes(primaryLsn.get(), n.replayLsn())) : n);
        }
        return out;
    }

    private static long lagBytes(String primary, String replay) {
        return io.walferry.postgres.Lsn.parse(primary).value() - io.walferry.postgres.Lsn.parse(replay).value();
    }

    private Optional<String> currentLsn(NodeConfig n) {
        try (Connection c = pg.connect(n); Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pg_current_wal_lsn()::text")) {
            r.next();
            return Optional.of(r.getString(1));
        } catch (SQLException | WalferryException e) {
            return Optional.empty();
        }
    }

    private Node read(NodeConfig n) {
        try (Connection c = pg.connect(n); Statement s = c.createStatement()) {
            boolean replica;
            String current = null;
            String receive = null;
            String replay = null;
            Double lagSeconds = null;
            boolean writable = false;
            try (ResultSet r = s.executeQuery("select pg_is_in_recovery()")) {
                r.next();
                replica = r.getBoolean(1);
            }
            if (replica) {
                try (ResultSet r = s.executeQuery("select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
                        + "extract(epoch from now() - pg_last_xact_replay_timestamp())::float8")) {
                    r.next();
                    receive = r.getString(1);
                    replay = r.getString(2);
                    lagSeconds = r.getObject(3) == null ? null : r.getDouble(3);
                }
            } else {
                // A new session's default: a primary fenced by walferry promote --force is read-only by default.
                try (ResultSet r = s.executeQuery("select pg_current_wal_lsn()::text, "
                        + "current_setting('default_transaction_read_only') = 'off'")) {
                    r.next();
                    current = r.getString(1);
                    writable = r.getBoolean(2);
                }
            }
            Integer timeline;
            try (ResultSet r = s.executeQuery("select " + (replica
                    ? "(select received_tli from pg_stat_wal_receiver), (select timeline_id from pg_control_checkpoint())"
                    : "null::int, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"))) {
                r.next();
                timeline = r.getObject(1) != null ? Integer.valueOf(r.getInt(1)) : r.getObject(2) == null ? null : r.getInt(2);
            }
            List<Slot> slots = new ArrayList<>();
            if (!replica) {
                try (ResultSet r = s.executeQuery("select slot_name, active, restart_lsn::text, "
                        + "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint from pg_replication_slots order by slot_name")) {
                    while (r.next()) {
                        slots.add(new Slot(r.getString(1), r.getBoolean(2), r.getString(3), r.getObject(4) == null ? null : r.getLong(4)));
                    }
                }
            }
            Archiver archiver;
            try (ResultSet r = s.executeQuery("select archived_count, last_archived_wal, last_archived_time::text, failed_count, "
                    + "last_failed_wal, last_failed_time::text from pg_stat_archiver")) {
                r.next();
                archiver = new Archiver(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4), r.getString(5), r.getString(6));
            }
            return new Node(n.name(), n.region(), replica ? "replica" : "primary", timeline, current, receive, replay, null, lagSeconds,
                    slots, archiver, writable, null, null);
        } catch (SQLException | WalferryException e) {
            String why = e instanceof WalferryException w ? w.getMessage() : e.getMessage();
            return new Node(n.name(), n.region(), null, null, null, null, null, null, null, List.of(), null, null, null, why);
        }
    }
}
