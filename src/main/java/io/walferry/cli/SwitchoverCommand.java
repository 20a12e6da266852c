package io.walferry.cli;

import io.walferry.ha.SwitchoverRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import io.walferry.failure.WalferryException;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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

    @Option(names = "--at", paramLabel = "TIME", description = "Hand over at this time, with its zone, e.g. '2026-12-07 03:00:00+00' "
            + "(a maintenance window): the request waits in the store for the leader, and this returns at once.")
    String at;

    @Override
    public Integer call() {
        Context ctx = main.context();
        Optional<Instant> when = Optional.ofNullable(at).map(SwitchoverCommand::instant);
        SwitchoverRequest.Result r = new SwitchoverRequest(ctx.config()).run(to, when, Duration.ofSeconds(timeoutSeconds));
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("from", r.from()).put("to", r.to()).put("seconds", r.took().toMillis() / 1000.0)
                    .put("scheduled_at", r.scheduledAt().map(Instant::toString).orElse(null)));
        } else if (r.scheduledAt().isPresent()) {
            out.printf("switchover: %s hands over to %s at %s (the request waits in etcd; walferry status shows the leader)%n", r.from(),
                    r.to(), r.scheduledAt().get());
        } else {
            out.printf("switchover: %s is the primary now (was %s), %.1f s after the request%n", r.to(), r.from(), r.took().toMillis() / 1000.0);
        }
        return 0;
    }

    /** An ISO time with its zone ("2026-12-07 03:00:00+00", "2026-12-07T03:00:00Z"). */
    private static Instant instant(String text) {
        try {
            return java.time.OffsetDateTime.parse(text.strip().replace(' ', 'T').replaceAll("([+-]\\d\\d)$", "$1:00")).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            throw WalferryException.config("--at " + text + " is not a time with its zone", "give it as '2026-12-07 03:00:00+00'");
        }
    }
}
