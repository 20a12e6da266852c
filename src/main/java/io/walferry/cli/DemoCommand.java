package io.walferry.cli;

import io.walferry.demo.Demo;
import io.walferry.demo.DemoDirectory;
import io.walferry.monitor.ClusterStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** A local multi-region cluster, end to end, in plain words. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run a local multi-region cluster end to end: primary, streaming and archive-only replicas, "
        + "backup, workload, live status, and a check that every row reached every replica; then automatic failover through etcd "
        + "under writes (when etcd is installed), and a check that no acknowledged row was lost. With -c FILE, into the repositories "
        + "FILE configures; otherwise into a filesystem repository of its own.")
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--dir", description = "Where the demo keeps its servers and repository: a new or empty directory, or an earlier "
            + "demo's (default: ~/.local/state/walferry/demo, or a new private temporary directory for a user without a home).")
    Path dir;

    @Option(names = "--seconds", defaultValue = "20", description = "How long the write workload runs (default 20).")
    int seconds;

    @Option(names = "--keep", description = "Leave everything running at the end.")
    boolean keep;

    @Override
    public Integer call() {
        Context ctx = main.context();
        Path where = (dir != null ? dir : DemoDirectory.byDefault(ctx.env(), Path.of(System.getProperty("user.home"))))
                .toAbsolutePath().normalize();
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "walferry");
        PrintWriter out = main.out();
        Demo.View view = new Demo.View() {
            private Instant first;

            @Override
            public void say(String line) {
                out.println(line);
                out.flush();
            }

            @Override
            public void status(List<ClusterStatus.Node> nodes) {
                if (first == null) {
                    first = Instant.now();
                }
                out.println(line(Duration.between(first, Instant.now()), nodes));
                out.flush();
            }
        };
        // -c FILE: the demo uses FILE's repositories (checked here, like any configuration), not one of its own
        Optional<Path> repositoriesFrom = Optional.ofNullable(main.options.config).map(c -> ctx.config().source());
        int code = new Demo(new Demo.Options(where, seconds, keep, Optional.ofNullable(main.options.pgBin), ctx.launcher(), cache,
                repositoriesFrom), view).run();
        return code;
    }

    /** One line a second: each replica's lag, and what the primary archived last. */
    private static String line(Duration t, List<ClusterStatus.Node> nodes) {
        StringBuilder b = new StringBuilder(String.format("  %3ds ", t.toSeconds()));
        for (ClusterStatus.Node n : nodes) {
            if (n.error() != null) {
                b.append(" | ").append(n.name()).append(" DOWN");
            } else if ("primary".equals(n.role())) {
                b.append(" | ").append(n.name()).append(" primary at ").append(n.currentLsn()).append(", archived ")
                        .append(n.archiver().lastArchived() == null ? "-" : n.archiver().lastArchived());
            } else {
                b.append(" | ").append(n.name()).append(" lag ").append(n.lagBytes() == null ? "?" : Output.bytes(n.lagBytes()))
                        .append(n.lagSeconds() == null ? "" : String.format(" %.1f s", n.lagSeconds()));
            }
        }
        return b.toString();
    }
}
