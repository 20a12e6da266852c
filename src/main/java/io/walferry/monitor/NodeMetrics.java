package io.walferry.monitor;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.walferry.config.NodeConfig;
import io.walferry.postgres.NodeState;
import io.walferry.postgres.WalFileName;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node's metrics from what the agent last read: its server and archive backlog ({@link NodeReader}, every second, with
 * a replica's lag from the primary's {@link WalClock}), the repositories, the logical streams, the restore that made its
 * data directory, and HA. A scrape reads nothing itself: it waits for no query and no file. What could not be read is left
 * out (and {@code walferry_node_up} is 0), never reported as 0.
 */
final class NodeMetrics implements MultiCollector {
    /** pg_stat_archiver's times as PostgreSQL prints timestamptz text. */
    private static final DateTimeFormatter PG_TIME = new DateTimeFormatterBuilder().appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendPattern("[XXX][X]").toFormatter();

    /** What the metrics are made of, each as last read. */
    record Sources(Supplier<Optional<NodeReading>> node, Supplier<List<RepositoryState>> repositories,
                   Supplier<List<LogicalStreamState>> streams, Supplier<Optional<HaState>> ha) {
    }

    private final NodeConfig node;
    private final Labels common;
    private final Sources sources;

    NodeMetrics(NodeConfig node, Labels common, Sources sources) {
        this.node = node;
        this.common = common;
        this.sources = sources;
    }

    @Override
    public MetricSnapshots collect() {
        long t0 = System.nanoTime();
        MetricFamilies m = new MetricFamilies(common);
        sources.node().get().ifPresent(r -> reading(m, r));
        for (RepositoryState r : sources.repositories().get()) {
            repository(m, r);
        }
        for (LogicalStreamState s : sources.streams().get()) {
            stream(m, s);
        }
        sources.ha().get().ifPresent(h -> {
            m.flag("walferry_ha_leader", "1 when this node's agent holds the HA leader key", h.leader());
            m.gauge("walferry_ha_decision", "The HA loop's last decision on this node (its action is the label)", 1, "action", h.action());
        });
        m.gauge("walferry_scrape_collect_seconds", "How long gathering this scrape's values took", (System.nanoTime() - t0) / 1e9);
        return m.snapshots();
    }

    private void reading(MetricFamilies m, NodeReading r) {
        m.flag("walferry_node_up", "1 when the node's PostgreSQL answered the agent's last reading", r.state().isPresent());
        m.gauge("walferry_node_read_timestamp_seconds", "When the agent last read its node (every second, in the background)",
                seconds(r.at()));
        m.gauge("walferry_node_read_duration_seconds", "How long that reading took (the node's queries and the .ready backlog)",
                r.seconds());
        r.state().ifPresent(s -> node(m, s, r.lag()));
        r.restore().ifPresent(x -> restore(m, x));
        r.walStreamLag().ifPresent(l -> {
            String slot = io.walferry.postgres.SynchronousNames.archiveName(node.name());
            m.gauge("walferry_wal_stream_lag_bytes", "WAL the primary wrote that its stream has not stored in every required repository",
                    l.bytes(), "slot", slot);
            m.gauge("walferry_wal_stream_lag_seconds", "How long ago the primary wrote the first WAL its stream has not stored in every "
                    + "required repository (0 when all is stored, however long the primary has been idle)", l.seconds(), "slot", slot);
        });
        ArchiveBacklog b = r.backlog();
        m.gauge("walferry_archive_backlog_files", "WAL files PostgreSQL finished that are not archived yet (.ready, not acknowledged)", b.files());
        m.gauge("walferry_archive_backlog_bytes", "Bytes of those files", b.bytes());
        m.gauge("walferry_archive_backlog_oldest_age_seconds", "How long the oldest of them has waited (0: none waits)", b.oldestAgeSeconds());
    }

    private void node(MetricFamilies m, NodeState s, Optional<NodeReading.ReplicaLag> lag) {
        m.gauge("walferry_node_info", "The node's region, role and PostgreSQL version (always 1)", 1, "region", node.region(),
                "role", s.primary() ? "primary" : "replica", "server_version", String.valueOf(s.versionNum()));
        m.flag("walferry_node_writable", "1 on a primary that takes writes (not fenced read-only)", s.primary() && !s.readOnlyByDefault());
        m.gauge("walferry_node_timeline", "A primary's timeline; a replica's, the one it replays now", s.timeline());
        long segmentSize = Long.parseLong(s.setting("wal_segment_size"));
        m.gauge("walferry_wal_segment_size_bytes", "The cluster's WAL segment size", segmentSize);
        String position = "walferry_wal_position_bytes";
        String positionHelp = "A WAL position (LSN) as a byte offset: current (a primary's, written), flushed (to disk), "
                + "received (a replica's, written by its WAL receiver), replayed (a replica's)";
        s.currentLsn().ifPresent(l -> m.gauge(position, positionHelp, l.value(), "position", "current"));
        s.flushedLsn().ifPresent(l -> m.gauge(position, positionHelp, l.value(), "position", "flushed"));
        s.writtenLsn().ifPresent(l -> m.gauge(position, positionHelp, l.value(), "position", "received"));
        s.replayedLsn().ifPresent(l -> m.gauge(position, positionHelp, l.value(), "position", "replayed"));
        if (s.inRecovery()) {
            replica(m, s, lag);
        } else {
            slots(m, s);
        }
        archiver(m, s, segmentSize);
    }

    private static void replica(MetricFamilies m, NodeState s, Optional<NodeReading.ReplicaLag> lag) {
        m.flag("walferry_replica_streaming", "1 when the replica's WAL receiver streams from its upstream", s.streaming());
        m.flag("walferry_replica_replay_paused", "1 when the replica's replay is paused", s.replayPaused());
        s.replayTimestamp().ifPresent(t -> m.gauge("walferry_replica_last_replayed_commit_timestamp_seconds",
                "The commit time of the last transaction the replica replayed (the primary's clock)", t.toEpochMilli() / 1000.0));
        lag.ifPresent(l -> {
            m.gauge("walferry_replica_lag_bytes", "WAL the primary has that the replica has not replayed", l.bytes());
            m.gauge("walferry_replica_lag_seconds", "How long ago the primary wrote the first WAL the replica has not replayed "
                    + "(0 when it has replayed all of it, however long the primary has been idle)", l.seconds());
        });
    }

    private static void slots(MetricFamilies m, NodeState s) {
        s.maxSlotWalKeepSize().ifPresent(v -> m.gauge("walferry_max_slot_wal_keep_size_bytes",
                "max_slot_wal_keep_size: the most WAL a slot may hold back before it is invalidated", v));
        for (NodeState.Slot slot : s.slots()) {
            String[] l = {"slot", slot.name(), "slot_type", slot.type()};
            m.flag("walferry_slot_active", "1 when a client streams through the slot", slot.active(), l);
            slot.heldBytes().ifPresent(v -> m.gauge("walferry_slot_retained_wal_bytes", "WAL the slot holds back on the primary", v, l));
            slot.safeWalSize().ifPresent(v -> m.gauge("walferry_slot_safe_wal_size_bytes",
                    "WAL that may still be written before the slot loses WAL it needs (only with max_slot_wal_keep_size)", v, l));
            slot.walStatus().ifPresent(v -> m.gauge("walferry_slot_wal_status",
                    "The slot's wal_status (reserved, extended, unreserved, lost) as a label; always 1", 1, "slot", slot.name(),
                    "slot_type", slot.type(), "status", v));
            slot.xminAge().ifPresent(v -> m.gauge("walferry_slot_xmin_age", "Transactions since the slot's xmin (it holds back vacuum)", v, l));
            slot.catalogXminAge().ifPresent(v -> m.gauge("walferry_slot_catalog_xmin_age",
                    "Transactions since the slot's catalog_xmin", v, l));
        }
    }

    private static void archiver(MetricFamilies m, NodeState s, long segmentSize) {
        NodeState.Archiver a = s.archiver();
        m.counter("walferry_pg_archiver_archived", "Files PostgreSQL's archiver archived (pg_stat_archiver)", a.archived());
        m.counter("walferry_pg_archiver_failed", "archive_command failures (pg_stat_archiver)", a.failed());
        time(a.lastArchivedTime()).ifPresent(t -> m.gauge("walferry_pg_archiver_last_archived_timestamp_seconds",
                "When PostgreSQL last archived a file", t));
        time(a.lastFailedTime()).ifPresent(t -> m.gauge("walferry_pg_archiver_last_failed_timestamp_seconds",
                "When archive_command last failed", t));
        // On a primary: WAL written past the end of the newest archived segment. Less than a segment is the segment being
        // written (an idle database's newest archived segment may be days old and nothing is wrong).
        if (s.primary() && s.currentLsn().isPresent() && a.lastArchived() != null
                && WalFileName.SEGMENT.matcher(a.lastArchived()).matches()) {
            WalFileName.Segment last = new WalFileName.Segment(a.lastArchived());
            if (last.timeline() == s.timeline()) {
                long end = (last.segmentNumber(segmentSize) + 1) * segmentSize;
                m.gauge("walferry_archive_unarchived_wal_bytes", "WAL the primary wrote past the end of the newest segment it archived",
                        Math.max(0, s.currentLsn().get().value() - end));
            }
        }
    }

    private static Optional<Double> time(String pgText) {
        if (pgText == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(pgText, PG_TIME).toInstant().toEpochMilli() / 1000.0);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void repository(MetricFamilies m, RepositoryState r) {
        String[] l = {"repository", r.name()};
        m.flag("walferry_repository_up", "1 when the repository could be read at its last reading", r.error().isEmpty(), l);
        m.gauge("walferry_repository_read_timestamp_seconds", "When the agent last read the repository", seconds(r.readAt()), l);
        if (r.error().isPresent()) {
            return;
        }
        m.gauge("walferry_repository_wal_segments", "WAL segments stored", r.segments(), l);
        m.gauge("walferry_repository_wal_stored_bytes", "Bytes the WAL objects take in the repository", r.storedBytes(), l);
        r.walOldest().ifPresent(v -> m.gauge("walferry_repository_wal_oldest_position_bytes", "Where the oldest stored segment starts", v, l));
        r.walNewest().ifPresent(v -> m.gauge("walferry_repository_wal_newest_position_bytes", "Where the newest stored segment ends", v, l));
        r.newestTimeline().ifPresent(v -> m.gauge("walferry_repository_wal_newest_timeline", "The newest timeline with segments", v, l));
        r.newestWalStored().ifPresent(t -> m.gauge("walferry_repository_wal_newest_timestamp_seconds",
                "When the newest segment was stored", seconds(t), l));
        m.gauge("walferry_repository_backups", "Complete backups", r.backups(), l);
        r.newestBackup().ifPresent(b -> {
            m.gauge("walferry_repository_newest_backup_timestamp_seconds", "When the newest backup ended", seconds(b.stop()), l);
            m.gauge("walferry_repository_newest_backup_duration_seconds", "How long the newest backup took", b.durationSeconds(), l);
            m.gauge("walferry_repository_newest_backup_size_bytes", "The newest backup's size (data files as copied)", b.bytes(), l);
        });
        r.pitrFrom().ifPresent(t -> m.gauge("walferry_repository_pitr_window_start_timestamp_seconds",
                "The earliest time point-in-time recovery can reach from this repository", seconds(t), l));
        r.pitrTo().ifPresent(t -> m.gauge("walferry_repository_pitr_window_end_timestamp_seconds",
                "The latest time point-in-time recovery can reach from this repository (its newest WAL)", seconds(t), l));
    }

    private static void stream(MetricFamilies m, LogicalStreamState s) {
        String[] l = {"stream", s.stream()};
        m.gauge("walferry_logical_stream_read_timestamp_seconds", "When the agent last read the logical stream", seconds(s.readAt()), l);
        m.flag("walferry_logical_stream_readable", "1 when the stream's source and target both answered its last reading", s.readable(), l);
        s.phase().ifPresent(p -> m.gauge("walferry_logical_stream_phase", "The stream's phase (copying, streaming, cut over) as a label; always 1",
                1, "stream", s.stream(), "phase", p));
        m.flag("walferry_logical_stream_running", "1 when a process streams the stream's slot", s.running(), l);
        m.flag("walferry_logical_stream_failed", "1 when the stream recorded an error and no process streams it", s.failed(), l);
        s.behindBytes().ifPresent(v -> m.gauge("walferry_logical_stream_lag_bytes", "WAL of the source the stream has not confirmed", v, l));
        s.lagSeconds().ifPresent(v -> m.gauge("walferry_logical_stream_lag_seconds",
                "How long the source's WAL waits until the target has it committed (0 once caught up)", v, l));
        s.retainedBytes().ifPresent(v -> m.gauge("walferry_logical_stream_retained_wal_bytes", "WAL the stream's slot holds back on the source", v, l));
    }

    private static void restore(MetricFamilies m, RestoreState r) {
        String[] l = {"repository", r.repository(), "backup", r.backup()};
        m.gauge("walferry_restore_timestamp_seconds", "When the restore that made this node's data directory ended", seconds(r.stop()), l);
        m.gauge("walferry_restore_duration_seconds", "How long that restore took, from its start until its files were synced", r.durationSeconds(), l);
        m.gauge("walferry_restore_size_bytes", "The data files that restore wrote", r.bytes(), l);
    }

    private static double seconds(Instant t) {
        return t.toEpochMilli() / 1000.0;
    }
}
