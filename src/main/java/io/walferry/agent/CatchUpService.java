package io.walferry.agent;

import io.walferry.archive.ArchiveGetter;
import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveTarget;
import io.walferry.config.Compression;
import io.walferry.failure.WalferryException;
import io.walferry.fastpath.CatchUpMarkers;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Copies into each lagging optional repository what it missed ({@link CatchUpMarkers}), from a repository that holds
 * a verified copy; that works whether or not PostgreSQL still has the file. A repository still down stays marked.
 */
final class CatchUpService {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);
    private static final String COPY_PREFIX = ".catchup-";

    private final CatchUpMarkers behind;
    private final Path spool;
    private final LazyPusher pusher;
    private final Compression compression;
    private final EncodeGate encodeGate;
    private final BooleanSupplier running;

    CatchUpService(CatchUpMarkers behind, Path spool, LazyPusher pusher, Compression compression, EncodeGate encodeGate,
                   BooleanSupplier running) {
        this.behind = behind;
        this.spool = spool;
        this.pusher = pusher;
        this.compression = compression;
        this.encodeGate = encodeGate;
        this.running = running;
    }

    /** One pass over the markers, once the repositories are open (the pushes open them). */
    void catchUp() throws IOException {
        Optional<ArchivePusher> p = pusher.ifOpen();
        if (p.isEmpty()) {
            return;
        }
        Set<String> configured = p.get().archives().targets().stream().map(t -> t.repository().name()).collect(Collectors.toSet());
        CatchUpRound round = new CatchUpRound(configured);
        for (CatchUpMarkers.Marker m : behind.list()) {
            if (!running.getAsBoolean()) {
                return;
            }
            boolean clear = switch (round.step(m.repository())) {
                case CLEAR -> true;
                case SKIP -> false;
                case TRY -> round.clears(m.repository(), copy(p.get(), p.get().archives().target(m.repository()).orElseThrow(), m.fileName()));
            };
            if (clear) {
                behind.clear(m);
            }
        }
    }

    private CatchUpRound.Outcome copy(ArchivePusher p, ArchiveTarget target, String name) throws IOException {
        WalFileName wal = WalFileName.parse(name);
        List<Repository> sources = p.archives().repositories().stream().filter(r -> r != target.repository()).toList();
        Path copy = spool.resolve(COPY_PREFIX + name);
        try {
            if (new ArchiveGetter(sources).get(wal, copy) != ArchiveGetter.Outcome.FOUND) {
                LOG.error("no repository holds {} to catch up repository {}", name, target.repository().name());
                return CatchUpRound.Outcome.NO_SOURCE;
            }
            target.repository().putWal(wal, copy, compression, encodeGate);
            LOG.info("caught up repository {} with {}", target.repository().name(), name);
            return CatchUpRound.Outcome.STORED;
        } catch (WalferryException e) {
            LOG.warn("repository {} still behind ({}): {}", target.repository().name(), name, e.oneLine());
            return CatchUpRound.Outcome.STILL_DOWN;
        } finally {
            Files.deleteIfExists(copy);
        }
    }
}
