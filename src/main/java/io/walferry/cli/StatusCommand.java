package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.walferry.config.WalferryConfig;
import io.walferry.monitor.ClusterStatus;
import io.walferry.postgres.PgConnector;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Every node's role, WAL positions, lag, slots and archiver, as a table or JSON. */
@Command(name = "status", description = {"Show every node: role, timeline, LSNs, lag in bytes and seconds, slots, archiver health.",
        "Exits 1 when a node is down, or when more than one primary takes writes (the table then ends with a WARNING line, "
                + "and JSON sets 'warning' on each of them)."})
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        List<ClusterStatus.Node> nodes = new ClusterStatus(config, new PgConnector(config.connection())).read();
        PrintWriter out = main.out();
        if (ctx.json()) {
            ArrayNode a = Output.JSON.createArrayNode();
            for (ClusterStatus.Node n : nodes) {
                a.add(Output.JSON.valueToTree(n));
            }
            Output.json(out, a);
        } else {
            render(out, nodes);
        }
        return nodes.stream().anyMatch(n -> n.error() != null) || !ClusterStatus.writablePrimaries(nodes).isEmpty() ? 1 : 0;
    }

    static void render(PrintWriter out, List<ClusterStatus.Node> nodes) {
        List<List<String>> rows = new ArrayList<>();
        for (ClusterStatus.Node n : nodes) {
            if (n.error() != null) {
                rows.add(List.of(n.name(), n.region(), "DOWN", "-", "-", "-", "-", "-", n.error()));
                continue;
            }
            ClusterStatus.Archiver a = n.archiver();
            String archiver = a.failed() > 0 && a.lastFailedTime() != null && (a.lastArchivedTime() == null
                    || a.lastFailedTime().compareTo(a.lastArchivedTime()) > 0)
                    ? "FAILING at " + a.lastFailed() : a.lastArchived() == null ? "-" : "ok, last " + a.lastArchived();
            String role = "primary".equals(n.role()) && Boolean.FALSE.equals(n.writable()) ? "primary (read-only)" : n.role();
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
        List<String> writable = ClusterStatus.writablePrimaries(nodes);
        if (!writable.isEmpty()) {
            out.printf("WARNING: %d writable primaries (%s): clients may write to each and their data diverges; stop all but one now "
                    + "(walferry promote fences the old primary when it can)%n", writable.size(), String.join(", ", writable));
        }
    }
}
