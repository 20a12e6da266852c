package io.walferry.agent;

import io.walferry.config.NodeConfig;
import io.walferry.postgres.ReplicationSlots;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/**
 * PostgreSQL 17's synchronized_standby_slots for a primary whose logical streams use failover slots: the physical slots
 * of the streaming standbys that may be promoted. A logical consumer then never receives a change before those standbys
 * have it, so after a failover the target holds nothing the new primary lacks. A standby that may never be promoted
 * (ha's nofailover) is left out: it need not hold the stream back. Only slots that exist are named (a missing one would
 * hold every failover slot back). Pure.
 */
public final class StandbySlots {
    private StandbySlots() {
    }

    /** The setting's value: the slot names, sorted, comma-separated ("" for none). */
    public static String value(Collection<String> physicalSlots, List<NodeConfig> nodes, String me, Predicate<String> mayBePromoted) {
        return nodes.stream().map(NodeConfig::name).filter(n -> !n.equals(me)).filter(mayBePromoted)
                .map(ReplicationSlots::replicaSlotName).filter(physicalSlots::contains).sorted().distinct()
                .reduce((a, b) -> a + "," + b).orElse("");
    }

    /** Whether the current value names the same slots (order and blanks aside). */
    public static boolean same(String current, String wanted) {
        return normalized(current).equals(normalized(wanted));
    }

    private static List<String> normalized(String v) {
        return java.util.Arrays.stream(v.split(",")).map(String::strip).filter(x -> !x.isEmpty()).sorted().toList();
    }
}
