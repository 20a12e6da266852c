package io.walferry.archive;

import io.walferry.config.WalferryConfig;
import io.walferry.fastpath.PrefetchHandOver;
import io.walferry.fastpath.PrefetcherProcess;
import io.walferry.postgres.WalFileName;

import java.nio.file.Path;
import java.util.Map;

/**
 * What restore_command's JVM does (archive-get): hands PostgreSQL the segment the prefetcher queued, or fetches the
 * file itself; with prefetch on, and run by PostgreSQL in its data directory, it also tells the prefetcher where
 * replay is and starts one if none runs ({@link PrefetchHandOver}).
 *
 * @param launcher the launcher a prefetcher is started with
 */
public record RestoreFetch(WalferryConfig config, Map<String, String> env, String launcher) {

    /**
     * @return FOUND when {@code target} now holds the verified file, NOT_FOUND when no repository has it
     * @throws io.walferry.failure.WalferryException when a repository had a copy but none could be handed over
     */
    public ArchiveGetter.Outcome get(WalFileName name, Path target, Path workingDirectory) {
        ReplaySource source = ReplaySource.open(config);
        if (config.archive().prefetch() > 0
                && PrefetchHandOver.in(workingDirectory, env, new PrefetcherProcess(launcher, config.source()), source::segmentSize)
                .map(h -> h.take(name, target)).orElse(false)) {
            return ArchiveGetter.Outcome.FOUND;
        }
        ArchiveGetter.Outcome whole = new ArchiveGetter(source.repositories()).get(name, target);
        if (whole == ArchiveGetter.Outcome.FOUND || !(name instanceof WalFileName.Segment segment)) {
            return whole;
        }
        // not stored whole: the part streamed so far, if any (docs/streaming.md)
        return ArchiveGetter.withStreamedPrefix(source.repositories(), source.segmentSize()).getStreamedPrefix(segment, target);
    }
}
