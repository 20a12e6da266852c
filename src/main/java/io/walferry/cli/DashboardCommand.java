package io.walferry.cli;

import io.walferry.dashboard.Dashboard;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Serves the cluster's web dashboard until stopped (SIGTERM or SIGINT). */
@Command(name = "dashboard", mixinStandardHelpOptions = true, description = {
        "Serve a read-only web page of the cluster: regions and nodes with each replication link's lag, a live lag chart, slots, "
                + "the archive, backups with the point-in-time recovery window, HA decisions (see docs/monitoring.md).",
        "Binds monitoring.dashboard.listen (127.0.0.1 unless configured) and its port (9817); TLS and basic authentication "
                + "when configured. Prints its address (--output json: {\"url\": ...}) and runs until stopped."})
final class DashboardCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws InterruptedException {
        Context ctx = main.context();
        Dashboard dashboard = Dashboard.start(ctx.config());
        Thread stopper = new Thread(dashboard::close, "dashboard-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("url", dashboard.url()));
        } else {
            out.println("walferry dashboard of cluster " + ctx.config().cluster() + ": " + dashboard.url());
        }
        out.flush();
        dashboard.awaitClose();
        return 0;
    }
}
