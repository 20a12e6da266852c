package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.archive.ArchiveReadiness;
import io.walferry.archive.ReadinessFinding;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgConnector;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Verifies that a node is set up for archiving and replication, with a hint for every problem, then proves
 * it: switches WAL and waits until the closed segment is in every repository ({@link ArchiveReadiness}).
 */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Check the server's archiving settings and the repositories, then archive a segment end to end.")
final class CheckCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws SQLException {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        NodeConfig node = ctx.node();
        List<ReadinessFinding> findings = ArchiveReadiness.check(new PgConnector(config.connection()), config, node, launcherHint());
        return report(ctx, node, findings);
    }

    private int report(Context ctx, NodeConfig node, List<ReadinessFinding> findings) {
        PrintWriter out = main.out();
        boolean ok = findings.stream().allMatch(ReadinessFinding::ok);
        if (ctx.json()) {
            ObjectNode o = Output.object().put("node", node.name()).put("ok", ok);
            ArrayNode a = o.putArray("checks");
            findings.forEach(f -> a.addObject().put("check", f.name()).put("ok", f.ok()).put("warning", f.warning())
                    .put("detail", f.detail()).put("hint", f.ok() && !f.warning() ? null : f.hint()));
            Output.json(out, o);
        } else {
            out.printf("node %s (%s:%d)%n", node.name(), node.host(), node.port());
            for (ReadinessFinding f : findings) {
                boolean hint = (!f.ok() || f.warning()) && f.hint() != null;
                out.printf("  %-4s  %s%s%n", !f.ok() ? "FAIL" : f.warning() ? "WARN" : "ok", f.detail(), hint ? "\n        hint: " + f.hint() : "");
            }
            long warnings = findings.stream().filter(ReadinessFinding::warning).count();
            out.println((ok ? "all checks passed" : "some checks failed") + (warnings == 0 ? "" : " (" + warnings
                    + (warnings == 1 ? " warning)" : " warnings)")));
        }
        return ok ? 0 : 1;
    }

    private static String launcherHint() {
        String launcher = System.getProperty("walferry.launcher");
        return launcher != null ? launcher : "walferry";
    }
}
