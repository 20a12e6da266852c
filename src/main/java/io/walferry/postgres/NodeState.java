package io.walferry.postgres;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One look at a node's server, read once by {@link NodeProbe}: everything status, promotion and the HA loop decide on.
 *
 * @param inRecovery        a replica (or a server in archive recovery)
 * @param timeline          a primary's current timeline; a replica's, the one it replays now (see {@link NodeProbe})
 * @param history           the history of {@code timeline}, when the server lets walferry read it (timeline 1: none)
 * @param currentLsn        a primary's WAL position; empty on a replica
 * @param receivedLsn       a replica's WAL received by streaming; empty if it never streamed
 * @param replayedLsn       a replica's replay position; empty on a primary
 * @param replayTimestamp   the commit time of the last transaction a replica replayed
 * @param serverTime        the server's clock when it was probed (replay age is measured on one clock)
 * @param streaming         a replica's WAL receiver is streaming now
 * @param readOnlyByDefault new transactions are read-only (a primary fenced by promote --force)
 * @param settings          the settings that matter (wal_level, archive_mode, wal_log_hints, data_checksums, ...)
 * @param flushedLsn        a primary's WAL flushed to disk; a replica's received and flushed (as {@code receivedLsn})
 * @param writtenLsn        a replica's WAL received and written by its WAL receiver (flushed or not); empty when it does not stream
 * @param replayPaused      a replica's replay is paused (pg_wal_replay_pause)
 */
public record NodeState(boolean inRecovery, String systemIdentifier, int versionNum, int timeline, Optional<TimelineHistory> history,
                        Optional<Lsn> currentLsn, Optional<Lsn> receivedLsn, Optional<Lsn> replayedLsn,
                        Optional<Instant> replayTimestamp, Instant serverTime, boolean streaming, boolean readOnlyByDefault, List<Slot> slots,
                        Archiver archiver, Map<String, String> settings, Optional<Lsn> flushedLsn, Optional<Lsn> writtenLsn,
                        boolean replayPaused) {
    public NodeState {
        slots = List.copyOf(slots);
        settings = Map.copyOf(settings);
    }

    /**
     * A replication slot, with the WAL it holds back on a primary: {@code safeWalSize} is how much more WAL may be written
     * before the slot loses WAL it needs (set only with max_slot_wal_keep_size); the ages are in transactions.
     */
    public record Slot(String name, String type, boolean active, Optional<Lsn> restartLsn, Optional<Long> heldBytes,
                       Optional<String> walStatus, Optional<Long> safeWalSize, Optional<Long> xminAge, Optional<Long> catalogXminAge) {
    }

    /** pg_stat_archiver. */
    public record Archiver(long archived, String lastArchived, String lastArchivedTime, long failed, String lastFailed,
                           String lastFailedTime) {
    }

    public boolean primary() {
        return !inRecovery;
    }

    /** The WAL this node holds: a primary's position, or the most a replica has received or replayed. */
    public Optional<Lsn> walHeld() {
        if (!inRecovery) {
            return currentLsn;
        }
        if (receivedLsn.isEmpty()) {
            return replayedLsn;
        }
        if (replayedLsn.isEmpty()) {
            return receivedLsn;
        }
        return Optional.of(receivedLsn.get().compareTo(replayedLsn.get()) >= 0 ? receivedLsn.get() : replayedLsn.get());
    }

    /** max_slot_wal_keep_size in bytes; empty when unlimited (-1) or unknown. */
    public Optional<Long> maxSlotWalKeepSize() {
        String v = setting("max_slot_wal_keep_size");
        return v.isEmpty() || v.startsWith("-") ? Optional.empty() : Optional.of(Long.parseLong(v) << 20);
    }

    public String setting(String name) {
        return settings.getOrDefault(name, "");
    }
}
