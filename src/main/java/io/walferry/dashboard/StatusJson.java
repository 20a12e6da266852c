package io.walferry.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.ha.HaStatus;
import io.walferry.monitor.ClusterStatus;

import java.util.List;
import java.util.Optional;

/** The nodes as {@code walferry status --output json} prints them, and the dashboard reads them: one object per node. */
public final class StatusJson {
    private StatusJson() {
    }

    /** Each node's status, with whether it leads and its last HA decision when HA is configured and etcd answered. */
    public static ArrayNode nodes(ObjectMapper json, List<ClusterStatus.Node> nodes, Optional<HaStatus.Seen> ha) {
        ArrayNode a = json.createArrayNode();
        for (ClusterStatus.Node n : nodes) {
            ObjectNode o = json.valueToTree(n);
            ha.flatMap(HaStatus.Seen::view).ifPresent(v -> {
                ObjectNode h = o.putObject("ha").put("leader", v.leader().map(n.name()::equals).orElse(false));
                Optional.ofNullable(v.members().get(n.name())).ifPresent(m -> h.put("decision", m.decision()));
            });
            a.add(o);
        }
        return a;
    }
}
