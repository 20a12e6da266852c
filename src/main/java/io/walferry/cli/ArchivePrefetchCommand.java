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

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Started by archive-get, detached: keeps the next segments of replay fetched and verified (see {@link Prefetcher}). */
@Command(name = "archive-prefetch", hidden = true, description = "Keep the next WAL segments of replay fetched (started by archive-get).")
final class ArchivePrefetchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--data-directory", required = true)
    Path dataDirectory;

    @Override
    public Integer call() throws IOException {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        List<Repository> repos = config.repositories().stream().map(rc -> Repository.open(rc, config.cluster(), false)).toList();
        long segmentSize = repos.get(0).requireClusterRecord().walSegmentSize();
        FastPathDirectory.forDataDirectory(dataDirectory, ctx.env()).prepareWaitFifo();
        new Prefetcher(PrefetchQueue.of(dataDirectory), new ArchiveGetter(repos), dataDirectory, config.archive().prefetch(),
                config.archive().workers(), segmentSize, 30).run();
        return 0;
    }
}
