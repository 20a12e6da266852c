package io.walferry.cli;

import io.walferry.agent.FastPathDirectory;
import io.walferry.archive.ArchiveGetter;
import io.walferry.archive.PrefetchQueue;
import io.walferry.archive.Prefetcher;
import io.walferry.config.WalferryConfig;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import io.walferry.postgres.BackupLabel;
import io.walferry.postgres.WalFileName;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Started detached, by archive-get's JVM or by the launcher: keeps the next segments of replay fetched and
 * verified (see {@link Prefetcher}). With {@code --from-backup-label} the launcher started it for the first
 * question of a restored data directory: it begins the queue itself, at the backup's checkpoint segment.
 */
@Command(name = "archive-prefetch", mixinStandardHelpOptions = true, hidden = true, description = "Keep the next WAL segments of replay fetched (started by archive-get).")
final class ArchivePrefetchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    static final String FROM_BACKUP_LABEL = "--from-backup-label";

    @Option(names = "--data-directory", required = true)
    Path dataDirectory;

    @Option(names = FROM_BACKUP_LABEL, description = "Start afresh at the checkpoint segment of the data directory's backup_label.")
    boolean fromBackupLabel;

    @Override
    public Integer call() throws IOException {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        if (fromBackupLabel && config.archive().prefetch() == 0) {
            return 0; // prefetch is off: the launcher, which cannot know that, asks a JVM instead
        }
        List<Repository> repos = config.repositories().stream().map(rc -> Repository.open(rc, config.cluster(), false)).toList();
        long segmentSize = repos.get(0).requireClusterRecord().walSegmentSize();
        FastPathDirectory.offerWaitFifo(dataDirectory, ctx.env());
        Optional<WalFileName.Segment> start = Optional.empty();
        if (fromBackupLabel) {
            start = BackupLabel.read(dataDirectory).map(l -> l.checkpointSegment(segmentSize));
            if (start.isEmpty()) {
                // replay has begun (or this is no restored data directory): the launcher's question goes to a JVM
                return 0;
            }
        }
        new Prefetcher(PrefetchQueue.of(dataDirectory), ArchiveGetter.writingThrough(repos), dataDirectory, config.archive().prefetch(),
                config.archive().workers(), segmentSize, 30).run(start);
        return 0;
    }
}
