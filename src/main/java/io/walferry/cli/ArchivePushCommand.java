package io.walferry.cli;

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
@Command(name = "archive-push", description = "Archive one WAL file (archive_command = 'walferry archive-push %%p').")
final class ArchivePushCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "WAL_PATH", description = "The file to archive: %p.")
    Path walPath;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        ArchivePusher pusher = new ArchivePusher(ArchiveSet.open(config), config.archive().compression());
        ArchivePusher.Result r = pusher.push(walPath);
        if (ctx.json()) {
            var o = Output.object().put("file", r.name().fileName());
            r.stored().forEach((repo, put) -> o.with("repositories").put(repo, put.outcome().name().toLowerCase()));
            r.failedOptional().forEach((repo, e) -> o.with("repositories").put(repo, "failed: " + e.oneLine()));
            Output.json(main.spec.commandLine().getOut(), o);
        }
        r.failedOptional().forEach((repo, e) -> main.spec.commandLine().getErr()
                .println("walferry: warning: optional repository " + repo + ": " + e.oneLine()));
        return 0;
    }
}
