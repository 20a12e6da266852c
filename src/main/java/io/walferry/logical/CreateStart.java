package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.Identifiers;
import io.walferry.postgres.logical.LogicalSlots.Slot;
import io.walferry.postgres.logical.StreamState;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where {@code logical create} starts, from the stream's state on the target and its slot on the source: afresh, over
 * again (an earlier create stopped during the copy, or {@code --restart}: its slot and the tables it made are dropped
 * first), or nowhere (the stream is created already). A slot walferry did not make for this stream, or a state of
 * another source, is refused: nothing of someone else's is dropped. Pure.
 *
 * @param dropSlot    the stream's own slot, to drop before a new one is made
 * @param dropTables  tables an earlier create made on the target (quoted), to drop before the copy
 */
public record CreateStart(Kind kind, boolean dropSlot, List<String> dropTables) {
    public enum Kind { FRESH, AGAIN, CREATED }

    public static CreateStart decide(String stream, String slotName, String sourceLabel, String sourceDatabase, Optional<StreamState> state,
                                     Optional<Slot> slot, List<QualifiedName> tables, Set<QualifiedName> existingOnTarget, boolean restart) {
        slot.ifPresent(s -> {
            if (!s.type().equals("logical") || !s.plugin().equals("pgoutput") || !s.database().equals(sourceDatabase)) {
                throw WalferryException.refused("slot " + slotName + " on the source is a " + s.type() + " slot"
                        + (s.type().equals("logical") ? " of plugin " + s.plugin() + " for database " + s.database() : "")
                        + ", not the pgoutput slot of database " + sourceDatabase + " that stream " + stream + " needs",
                        "set slot: to another name, or drop it if nothing uses it: select pg_drop_replication_slot('" + slotName + "')");
            }
        });
        if (state.isPresent()) {
            StreamState s = state.get();
            // a copy from scratch may come from another source (the new primary after a failover: resync)
            if (!restart && (!s.source().equals(sourceLabel) || !s.slot().equals(slotName))) {
                throw WalferryException.refused("the target holds stream " + stream + " from " + s.source() + " through slot " + s.slot()
                        + ", not from " + sourceLabel + " through slot " + slotName, "give this stream another name, or point it back");
            }
            if (slot.isPresent() && slot.get().active()) {
                throw WalferryException.refused("slot " + slotName + " of stream " + stream + " is in use (walferry logical run, or an "
                        + "agent, applies the stream)", "stop it first");
            }
            if (s.phase() == StreamState.Phase.COPYING || restart) {
                refuseTaken(tables, existingOnTarget, new HashSet<>(s.tables()));
                return new CreateStart(Kind.AGAIN, slot.isPresent(), s.tables());
            }
            if (s.phase() == StreamState.Phase.CUT_OVER) {
                throw WalferryException.refused("stream " + stream + " was cut over", "to replicate again from scratch: walferry logical "
                        + "create " + stream + " --restart (drops the stream's tables on the target)");
            }
            if (slot.isEmpty()) {
                throw WalferryException.refused("slot " + slotName + " of stream " + stream + " is gone from the source (dropped, or lost "
                        + "to max_slot_wal_keep_size), so the stream cannot resume", "copy again: walferry logical create " + stream
                        + " --restart (drops the stream's tables on the target)");
            }
            return new CreateStart(Kind.CREATED, false, List.of());
        }
        if (slot.isPresent()) {
            throw WalferryException.refused("slot " + slotName + " exists on the source, but the target holds no stream " + stream
                    + " that made it", "set slot: to another name, or drop it if nothing uses it: select pg_drop_replication_slot('"
                    + slotName + "')");
        }
        refuseTaken(tables, existingOnTarget, Set.of());
        return new CreateStart(Kind.FRESH, false, List.of());
    }

    /** Tables of the stream the target has already, other than those an earlier create of this stream made ({@code ours}). */
    private static void refuseTaken(List<QualifiedName> tables, Set<QualifiedName> existingOnTarget, Set<String> ours) {
        List<String> taken = tables.stream().filter(existingOnTarget::contains).filter(t -> !ours.contains(quoted(t)))
                .map(QualifiedName::toString).toList();
        if (!taken.isEmpty()) {
            throw WalferryException.refused("the target has " + String.join(", ", taken) + " already, and walferry copies the schema "
                    + "itself", "drop " + (taken.size() == 1 ? "it" : "them") + " on the target, or replicate into another database");
        }
    }

    /** How the state records a table. */
    public static String quoted(QualifiedName t) {
        return Identifiers.quote(t);
    }
}
