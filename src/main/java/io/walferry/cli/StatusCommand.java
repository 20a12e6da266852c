package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.config.WalferryConfig;
import io.walferry.dashboard.StatusJson;
import io.walferry.ha.HaStatus;
import io.walferry.ha.MemberState;
import io.walferry.ha.StoreView;
import io.walferry.logical.StreamServers;
import io.walferry.logical.StreamStatus;
import io.walferry.monitor.ClusterStatus;
import io.walferry.monitor.WalStreamStatus;
import io.walferry.postgres.PgConnector;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Every node's role, WAL positions, lag, slots and archiver, as a table or JSON. */
@Command(name = "status", mixinStandardHelpOptions = true, description = {"Show every node: role, timeline, LSNs, lag in bytes and seconds, slots, archiver health.",
        "A replica's timeline is the one it replays now. A replica that has left the primary's history (on a timeline the "
                + "primary does not have, or past the point where the primary's history left its timeline) is DIVERGED: it can "
                + "never catch up, and its lag is not shown.",
        "Logical streams (logical: in the configuration) follow the nodes: phase, slot lag, WAL retained, safe_wal_size, apply "
                + "lag, rows and transactions per second, last error (JSON: items with \"kind\": \"logical_stream\" after the nodes' "
                + "\"kind\": \"node\").",
        "With archive.stream, the WAL stream of the primary follows the table: its slot, running or not, the position every required "
                + "repository holds, how far behind that is (bytes, and PostgreSQL's flush_lag), and with archive.synchronous whether "
                + "commits wait for it (JSON: \"kind\": \"wal_stream\").",
        "Exits 1 when a node is down or refuses walferry's role (authentication failed), a replica has diverged, a logical stream "
                + "stopped on an error or cannot be read, or more than one primary takes writes (the table then ends with a line saying so; JSON sets 'diverged' or 'warning' on the nodes "
                + "concerned)."})
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        List<ClusterStatus.Node> nodes = new ClusterStatus(config, new PgConnector(config.connection())).read();
        Optional<HaStatus.Seen> ha = config.ha().map(h -> HaStatus.read(config));
        List<String> primaries = nodes.stream().filter(n -> "primary".equals(n.role())).map(ClusterStatus.Node::name).toList();
        List<StreamStatus> streams = config.logical().stream()
                .map(l -> StreamStatus.read(new StreamServers(StreamStatus.atPrimary(l, config.nodes(), primaries)))).toList();
        List<WalStreamStatus> walStreams = WalStreamStatus.read(config, new PgConnector(config.connection()));
        PrintWriter out = main.out();
        if (ctx.json()) {
            ArrayNode a = StatusJson.nodes(Output.JSON, nodes, ha);
            a.forEach(o -> ((ObjectNode) o).put("kind", "node"));
            streams.forEach(s -> a.add(StreamStatusView.json(s)));
            walStreams.forEach(w -> a.add(((ObjectNode) Output.JSON.valueToTree(w)).put("kind", "wal_stream")));
            Output.json(out, a);
        } else {
            render(out, nodes);
            walStreams.forEach(w -> renderWalStream(out, w));
            ha.ifPresent(h -> renderHa(out, h));
            if (!streams.isEmpty()) {
                out.println();
                StreamStatusView.render(out, streams);
            }
        }
        boolean haBroken = ha.map(h -> h.view().isEmpty() || h.view().get().leader().isEmpty()).orElse(false);
        return ClusterStatus.unhealthy(nodes) || haBroken || streams.stream().anyMatch(StreamStatus::unhealthy) ? 1 : 0;
    }

    private static void renderWalStream(PrintWriter out, WalStreamStatus w) {
        out.printf("WAL stream of %s (slot %s): %s, stored to %s, %s behind%s%s%n", w.node(), w.slot(), w.active() ? "active" : "NOT RUNNING",
                w.storedLsn() == null ? "-" : w.storedLsn(), w.lagBytes() == null ? "-" : Output.bytes(w.lagBytes()),
                w.lagSeconds() == null ? "" : String.format(" (%.2f s)", w.lagSeconds()),
                w.synchronous() == null ? "" : "DROPPED".equals(w.synchronous())
                        ? "; synchronous archive DROPPED from synchronous_standby_names: commits do not wait for it"
                        : "; synchronous: commits wait for it");
    }

    private static void renderHa(PrintWriter out, HaStatus.Seen ha) {
        if (ha.view().isEmpty()) {
            out.println("HA: etcd does not answer (" + ha.unavailable().orElse("") + ")");
            return;
        }
        StoreView v = ha.view().get();
        out.println("HA: leader " + v.leader().orElse("NONE (no member holds the leader key)")
                + v.optime().map(o -> ", last primary position " + o).orElse(""));
        v.members().values().stream().sorted(java.util.Comparator.comparing(MemberState::node))
                .forEach(m -> out.println("  " + m.node() + ": " + m.decision()));
    }

    static void render(PrintWriter out, List<ClusterStatus.Node> nodes) {
        List<List<String>> rows = new ArrayList<>();
        for (ClusterStatus.Node n : nodes) {
            if (n.error() != null) {
                rows.add(List.of(n.name(), n.region(), n.state().toUpperCase(), "-", "-", "-", "-", "-", n.error()));
                continue;
            }
            ClusterStatus.Archiver a = n.archiver();
            String archiver = a.failing() ? "FAILING at " + a.lastFailed() : a.lastArchived() == null ? "-" : "ok, last " + a.lastArchived();
            String role = "primary".equals(n.role()) && Boolean.FALSE.equals(n.writable()) ? "primary (read-only)"
                    : n.diverged() != null ? "replica (DIVERGED)" : n.role();
            rows.add(List.of(n.name(), n.region(), role, n.timeline() == null ? "-" : String.valueOf(n.timeline()),
                    n.currentLsn() != null ? n.currentLsn() : "-",
                    n.replayLsn() != null ? n.replayLsn() + (n.receiveLsn() != null ? " (recv " + n.receiveLsn() + ")" : "") : "-",
                    n.lagBytes() == null ? "-" : Output.bytes(n.lagBytes()),
                    n.lagSeconds() == null ? "-" : String.format("%.1f s", n.lagSeconds()), archiver));
        }
        Output.table(out, "", List.of("node", "region", "role", "tl", "current", "replayed", "lag", "lag time", "archiver"), rows);
        for (ClusterStatus.Node n : nodes) {
            for (ClusterStatus.Slot s : n.slots()) {
                out.printf("slot %s on %s: %s, holds %s of WAL%n", s.name(), n.name(), s.active() ? "active" : "INACTIVE",
                        s.heldBytes() == null ? "no" : Output.bytes(s.heldBytes()));
            }
        }
        for (ClusterStatus.Node n : nodes) {
            if (n.diverged() != null) {
                out.printf("DIVERGED: replica %s %s: it can never catch up; make it a replica again (walferry replica rejoin --node %s, "
                        + "or walferry replica create --node %s --force)%n", n.name(), n.diverged(), n.name(), n.name());
            }
        }
        List<String> writable = ClusterStatus.writablePrimaries(nodes);
        if (!writable.isEmpty()) {
            out.printf("WARNING: %d writable primaries (%s): clients may write to each and their data diverges; stop all but one now "
                    + "(walferry promote fences the old primary when it can)%n", writable.size(), String.join(", ", writable));
        }
    }
}
