package io.walferry.cli;

import io.walferry.monitor.AlertRules;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Prints Prometheus alerting rules over the agents' metrics, with the configuration's thresholds. */
@Command(name = "alert-rules", mixinStandardHelpOptions = true, description = {
        "Print Prometheus alerting rules (YAML) over the agents' metrics: a replica lagging in bytes and time together, a slot "
                + "retaining WAL or near max_slot_wal_keep_size, archiving failing or behind, no backup newer than "
                + "monitoring.backup_max_age, a cluster with no writable primary or more than one.",
        "Thresholds: monitoring.alerts (see docs/monitoring.md). Load the file with rule_files: in prometheus.yml. --output json: {\"alert_rules\": the YAML}."})
final class AlertRulesCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        String rules = AlertRules.render(ctx.config().monitoring());
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("alert_rules", rules));
        } else {
            out.print(rules);
            out.flush();
        }
        return 0;
    }
}
