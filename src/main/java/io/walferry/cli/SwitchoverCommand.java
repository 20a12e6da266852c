package io.walferry.cli;

import io.walferry.ha.SwitchoverRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** A planned handover of the primary role to a replica, through the HA loop. */
@Command(name = "switchover", mixinStandardHelpOptions = true, description = {
        "Hand the primary role over to a replica (--to), through the HA loop: the leader checkpoints, stops cleanly, waits until "
                + "the replica holds all of its WAL, hands it the leader key, and follows it as a standby. No acknowledged write is "
                + "lost, and the old primary needs no rewind. Needs ha: in the configuration (docs/ha.md)."})
final class SwitchoverCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--to", required = true, paramLabel = "NODE", description = "The replica to become the primary.")
    String to;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds to wait for the handover (default 120).")
    long timeoutSeconds;

    @Override
    public Integer call() {
        Context ctx = main.context();
        SwitchoverRequest.Result r = new SwitchoverRequest(ctx.config()).run(to, Duration.ofSeconds(timeoutSeconds));
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("from", r.from()).put("to", r.to()).put("seconds", r.took().toMillis() / 1000.0));
        } else {
            out.printf("switchover: %s is the primary now (was %s), %.1f s after the request%n", r.to(), r.from(), r.took().toMillis() / 1000.0);
        }
        return 0;
    }
}
