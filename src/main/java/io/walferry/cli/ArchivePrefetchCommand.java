package io.walferry.cli;

import io.walferry.archive.Prefetcher;
import io.walferry.fastpath.PrefetcherProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Started detached, by archive-get's JVM or by the launcher: keeps the next segments of replay fetched and
 * verified (see {@link Prefetcher}). With {@code --from-backup-label} the launcher started it for the first
 * question of a restored data directory: it begins the queue itself, at the backup's checkpoint segment.
 */
@Command(name = PrefetcherProcess.COMMAND, mixinStandardHelpOptions = true, hidden = true,
        description = "Keep the next WAL segments of replay fetched (started by archive-get).")
final class ArchivePrefetchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = PrefetcherProcess.DATA_DIRECTORY, required = true)
    Path dataDirectory;

    @Option(names = PrefetcherProcess.FROM_BACKUP_LABEL, description = "Start afresh at the checkpoint segment of the data directory's backup_label.")
    boolean fromBackupLabel;

    @Override
    public Integer call() throws IOException {
        Context ctx = main.context();
        Prefetcher.runFor(ctx.config(), dataDirectory, ctx.env(), fromBackupLabel);
        return 0;
    }
}
