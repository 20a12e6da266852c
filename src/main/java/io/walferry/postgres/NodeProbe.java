package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a node's state ({@link NodeState}) on one connection. A replica's timeline is the one it replays now, read off
 * the newest WAL file in pg_wal for the segment it replays (restored or received files are kept there under their
 * names, timeline first); where the role may not list pg_wal, the WAL receiver's timeline, else the last restartpoint's
 * in pg_control, which can be minutes old.
 */
public final class NodeProbe {
    private static final String SETTINGS = "'wal_level', 'archive_mode', 'archive_command', 'wal_log_hints', 'data_checksums', "
            + "'max_wal_senders', 'max_replication_slots', 'synchronous_standby_names', 'primary_conninfo', 'primary_slot_name', "
            + "'hot_standby', 'server_version_num', 'wal_segment_size', 'max_slot_wal_keep_size'";

    private NodeProbe() {
    }

    public static NodeState probe(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            boolean recovery;
            String sysid;
            boolean readOnly;
            int checkpointTli;
            Instant now;
            try (ResultSet r = s.executeQuery("select pg_is_in_recovery(), system_identifier::text, "
                    + "current_setting('default_transaction_read_only') = 'on', (select timeline_id from pg_control_checkpoint()), "
                    + "now() from pg_control_system()")) {
                r.next();
                recovery = r.getBoolean(1);
                sysid = r.getString(2);
                readOnly = r.getBoolean(3);
                checkpointTli = r.getInt(4);
                now = r.getTimestamp(5).toInstant();
            }
            Map<String, String> settings = new HashMap<>();
            try (ResultSet r = s.executeQuery("select name, setting from pg_settings where name in (" + SETTINGS + ")")) {
                while (r.next()) {
                    settings.put(r.getString(1), r.getString(2));
                }
            }
            int versionNum = Integer.parseInt(settings.get("server_version_num"));
            long segmentSize = Long.parseLong(settings.get("wal_segment_size"));
            Optional<Lsn> current = Optional.empty();
            Optional<Lsn> flushed = Optional.empty();
            Optional<Lsn> written = Optional.empty();
            boolean paused = false;
            Optional<Lsn> received = Optional.empty();
            Optional<Lsn> replayed = Optional.empty();
            Optional<Instant> replayTime = Optional.empty();
            boolean streaming = false;
            int timeline;
            if (!recovery) {
                try (ResultSet r = s.executeQuery("select pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn()), "
                        + "pg_current_wal_flush_lsn()::text")) {
                    r.next();
                    current = Optional.of(Lsn.parse(r.getString(1)));
                    timeline = (int) Long.parseLong(r.getString(2).substring(0, 8), 16);
                    flushed = lsn(r.getString(3));
                }
            } else {
                Integer receivedTli;
                try (ResultSet r = s.executeQuery("select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
                        + "pg_last_xact_replay_timestamp(), (select status from pg_stat_wal_receiver), "
                        + "(select received_tli from pg_stat_wal_receiver), "
                        + (versionNum >= 130000 ? "(select written_lsn::text from pg_stat_wal_receiver), " : "null, ")
                        + (versionNum >= 140000 ? "pg_get_wal_replay_pause_state() <> 'not paused'" : "pg_is_wal_replay_paused()"))) {
                    r.next();
                    received = lsn(r.getString(1));
                    flushed = received;
                    written = lsn(r.getString(6));
                    paused = r.getBoolean(7);
                    replayed = lsn(r.getString(2));
                    Timestamp t = r.getTimestamp(3);
                    replayTime = t == null ? Optional.empty() : Optional.of(t.toInstant());
                    streaming = "streaming".equals(r.getString(4));
                    receivedTli = (Integer) r.getObject(5);
                }
                // The files first: a WAL receiver may stream (or try) a timeline that replay cannot switch to.
                Optional<Integer> fromFiles = replayed.flatMap(p -> restoredTimeline(c, p, segmentSize));
                timeline = fromFiles.orElse(streaming && receivedTli != null ? receivedTli : checkpointTli);
            }
            return new NodeState(recovery, sysid, versionNum, timeline, history(c, timeline), current, received, replayed, replayTime,
                    now, streaming, readOnly, recovery ? List.of() : slots(s, versionNum), archiver(s), settings, flushed, written, paused);
        }
    }

    /** A primary's WAL position now; empty on a replica. */
    public static Optional<Lsn> currentLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end")) {
            r.next();
            return lsn(r.getString(1));
        }
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }

    /**
     * The timeline of the newest WAL file in pg_wal for the segment that holds the last replayed byte; empty when there
     * is none, or the role may not list pg_wal (superuser or pg_monitor).
     */
    private static Optional<Integer> restoredTimeline(Connection c, Lsn replayed, long segmentSize) {
        long segment = Long.divideUnsigned(Math.max(0, replayed.value() - 1), segmentSize);
        long perLog = 0x1_0000_0000L / segmentSize;
        String suffix = String.format("%08X%08X", segment / perLog, segment % perLog);
        try (var p = c.prepareStatement("select substr(name, 1, 8) from pg_ls_waldir() where name ~ ? "
                + "order by modification desc, name desc limit 1")) {
            p.setString(1, "^[0-9A-F]{8}" + suffix + "$");
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of((int) Long.parseLong(r.getString(1), 16)) : Optional.empty();
            }
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** The history of {@code timeline} from the server's pg_wal; empty for timeline 1 or when the role may not read it. */
    private static Optional<TimelineHistory> history(Connection c, int timeline) {
        if (timeline <= 1) {
            return Optional.of(TimelineHistory.root(timeline));
        }
        try (var p = c.prepareStatement("select pg_read_file(?)")) {
            p.setString(1, "pg_wal/%08X.history".formatted(timeline));
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return Optional.of(TimelineHistory.parse(timeline, r.getString(1)));
            }
        } catch (SQLException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static List<NodeState.Slot> slots(Statement s, int versionNum) throws SQLException {
        List<NodeState.Slot> slots = new ArrayList<>();
        try (ResultSet r = s.executeQuery("select slot_name, slot_type, active, restart_lsn::text, "
                + "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
                + (versionNum >= 130000 ? "wal_status, safe_wal_size, " : "null, null, ")
                + "age(xmin)::bigint, age(catalog_xmin)::bigint from pg_replication_slots order by slot_name")) {
            while (r.next()) {
                slots.add(new NodeState.Slot(r.getString(1), r.getString(2), r.getBoolean(3), lsn(r.getString(4)),
                        Optional.ofNullable((Long) r.getObject(5)), Optional.ofNullable(r.getString(6)),
                        Optional.ofNullable((Long) r.getObject(7)), Optional.ofNullable((Long) r.getObject(8)),
                        Optional.ofNullable((Long) r.getObject(9))));
            }
        }
        return slots;
    }

    private static NodeState.Archiver archiver(Statement s) throws SQLException {
        try (ResultSet r = s.executeQuery("select archived_count, last_archived_wal, last_archived_time::text, failed_count, "
                + "last_failed_wal, last_failed_time::text from pg_stat_archiver")) {
            r.next();
            return new NodeState.Archiver(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4), r.getString(5), r.getString(6));
        }
    }
}
