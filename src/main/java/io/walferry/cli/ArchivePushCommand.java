package io.walferry.cli;

import io.walferry.archive.ArchiveOrigin;
import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.config.WalferryConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * archive_command: stores one WAL file in every repository. With the agent running, the launcher script
 * confirms the agent's ack without starting a JVM, and this command only runs when there is no agent.
 */
@Command(name = "archive-push", mixinStandardHelpOptions = true, description = "Archive one WAL file (archive_command = 'walferry archive-push %%p').")
final class ArchivePushCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "WAL_PATH", description = "The file to archive: %%p.")
    Path walPath;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        ArchiveOrigin.requireConfiguredNode(config, Path.of("").toAbsolutePath());
        ArchivePusher.Result r = new ArchivePusher(ArchiveSet.open(config), config.archive().compression()).push(walPath);
        var missed = ArchivePusher.noteMissed(r, () -> config.spoolFor(ctx.node()));
        if (ctx.json()) {
            var o = Output.object().put("file", r.name().fileName());
            r.stored().forEach((repo, put) -> o.with("repositories").put(repo, put.outcome().name().toLowerCase()));
            r.failedOptional().forEach((repo, e) -> o.with("repositories").put(repo, "failed: " + e.oneLine()));
            Output.json(main.out(), o);
        }
        for (ArchivePusher.Missed m : missed) {
            String fate = m.notNoted().map(why -> "and it could not be noted for catching up (" + why + ")").orElse("the agent will catch it up");
            main.err().println("walferry: warning: " + r.name().fileName() + " not stored in optional repository "
                    + m.repository() + ", " + fate + ": " + m.failure().oneLine());
        }
        return 0;
    }
}
