package io.walferry.cli;

import io.walferry.archive.ArchiveSet;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.replica.Promotion;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Promotes a replica, fencing the old primary first and repointing the other replicas after. */
@Command(name = "promote", mixinStandardHelpOptions = true, description = {
        "Promote a replica (--node): fence the old primary, wait until the replica holds all of its WAL, promote, repoint the other replicas.",
        "The old primary is stopped (pg_ctl stop -m fast) only if its node's host is this machine and the server running at its "
                + "data_directory listens on its port. A primary still running elsewhere cannot be stopped over SQL: promote refuses "
                + "(stop it on its host first), and with --force makes it read-only by default and ends its sessions instead.",
        "Promote also refuses when the replica cannot get the old primary's last WAL within --timeout, or another replica holds "
                + "more WAL than it. With no primary reachable, it promotes with the WAL the replica holds and says so."})
final class PromoteCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds allowed for each step (default 120).")
    long timeoutSeconds;

    @Option(names = "--force", description = "Promote even if the old primary runs on another host (it is made read-only), the replica "
            + "lacks some of the old primary's WAL, or another replica holds more.")
    boolean force;

    @Override
    public Integer call() {
        main.notAsRoot().check("promote");
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        NodeConfig node = ctx.node();
        List<Repository> required = ArchiveSet.requiredRepositories(config);
        PgBinaries bin = PgBinaries.find(Optional.ofNullable(main.options.pgBin), node.binDirectory());
        Promotion.Result r = new Promotion(config, new PgConnector(config.connection()), new PgControl(bin), required, ctx.restoreCommand())
                .promote(node, Duration.ofSeconds(timeoutSeconds), force);
        PrintWriter out = main.out();
        if (ctx.json()) {
            var o = Output.object().put("promoted", r.promoted()).put("old_primary", r.oldPrimary().orElse(null)).put("fence", r.fence())
                    .put("old_wal_end", r.walEnd().map(Object::toString).orElse(null)).put("timeline", r.timeline())
                    .put("lsn", r.promotedAt().toString());
            r.repointed().forEach(o.putArray("repointed")::add);
            var nr = o.putArray("not_repointed");
            r.notRepointed().forEach(n -> nr.addObject().put("node", n.node()).put("error", n.why()));
            r.unreachable().forEach(o.putArray("unreachable")::add);
            r.fencedOnDisk().forEach(o.putArray("fenced_on_disk")::add);
            var elsewhere = o.putArray("run_elsewhere");
            r.runElsewhere().forEach(e -> elsewhere.addObject().put("node", e.node()).put("host", e.host()).put("command", e.command()));
            Output.json(out, o);
        } else {
            out.printf("%s is the primary on timeline %d (from %s); old primary %s: %s%s%n", r.promoted(), r.timeline(), r.promotedAt(),
                    r.oldPrimary().orElse("-"), r.fence(), r.walEnd().map(e -> "; its WAL ended at " + e).orElse(""));
            r.repointed().forEach(s -> out.println("  replica " + s));
            r.notRepointed().forEach(n -> out.println("  replica " + n.node() + ": NOT repointed: " + n.why()));
            r.unreachable().forEach(n -> out.println("  " + n + ": not reached (a replica that is down follows the new timeline through "
                    + "the archive once it is up; walferry replica repoint --node " + n + " streams it again)"));
            r.fencedOnDisk().forEach(n -> out.println("  " + n + ": fenced on disk: started again, it is a standby of " + r.promoted()
                    + ", never a primary; walferry replica rejoin --node " + n + " makes it a streaming replica (pg_rewind)"));
            r.runElsewhere().forEach(e -> out.println("  " + e.node() + " (on " + e.host() + "): may have been the primary and cannot be "
                    + "fenced from here: before it is started again, run on " + e.host() + ": " + e.command()));
        }
        out.flush();
        if (r.unfinished().isPresent()) {
            throw r.unfinished().get();
        }
        return 0;
    }
}
