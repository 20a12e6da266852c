package io.walferry.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.LogicalSlots.Slot;

import java.util.Optional;

/**
 * Whether a stream can go on from its source as it is now, before each session streams: a source in recovery (a
 * standby: the stream's primary failed over or was demoted), a slot that is gone (a promoted standby of PostgreSQL 15
 * or 16 has none; or it was dropped), or one lost to max_slot_wal_keep_size all stop the stream, since the changes after
 * the target's position can no longer be had; the fix is a new copy ({@code walferry logical resync}). Pure.
 */
public final class SourceCheck {
    private SourceCheck() {
    }

    /** {@code problem} empty: the stream may go on. */
    public record Verdict(Optional<String> problem, Optional<String> fix) {
    }

    public static Verdict decide(String stream, String slotName, String sourceLabel, Lsn applied, boolean inRecovery, Optional<Slot> slot) {
        String resync = "walferry logical resync " + stream + " (copies the tables again from the source as it is now; docs/logical.md#source-failover)";
        if (inRecovery) {
            return new Verdict(Optional.of("the source of logical stream " + stream + " (" + sourceLabel + ") is a standby now: its primary "
                    + "failed over or it was demoted, and logical slots do not follow"), Optional.of("point source: at the new primary, then "
                    + resync));
        }
        if (slot.isEmpty()) {
            return new Verdict(Optional.of("slot " + slotName + " of logical stream " + stream + " is not on the source (" + sourceLabel
                    + "): the source failed over (slots do not move to a promoted standby before PostgreSQL 17) or the slot was dropped, "
                    + "so the changes after " + applied + " that the target lacks cannot be had"), Optional.of(resync));
        }
        if (slot.get().walStatus().map("lost"::equals).orElse(false)) {
            return new Verdict(Optional.of("slot " + slotName + " of logical stream " + stream + " on the source (" + sourceLabel + ") is "
                    + "lost: the source removed WAL it still needed (max_slot_wal_keep_size)"), Optional.of(resync
                    + "; raise max_slot_wal_keep_size or keep the stream running"));
        }
        return new Verdict(Optional.empty(), Optional.empty());
    }
}
