package io.walferry.archive;

import io.walferry.config.Compression;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.PutResult;
import io.walferry.repository.Repository;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pushes one WAL file to every repository: checks it first, then stores it, and succeeds only when every
 * required repository holds a verified copy. Used by archive-push directly and by the agent's workers.
 */
public final class ArchivePusher {
    private final ArchiveSet archives;
    private final Compression compression;
    private final EncodeGate gate;

    public ArchivePusher(ArchiveSet archives, Compression compression) {
        this(archives, compression, EncodeGate.NONE);
    }

    public ArchivePusher(ArchiveSet archives, Compression compression, EncodeGate gate) {
        this.archives = archives;
        this.compression = compression;
        this.gate = gate;
    }

    public ArchiveSet archives() {
        return archives;
    }

    /** What happened in each repository; optional repositories that failed are listed with their error. */
    public record Result(WalFileName name, Map<String, PutResult> stored, Map<String, WalferryException> failedOptional) {
    }

    public Result push(Path file) {
        WalFileName name = parseName(file);
        WalFileCheck.verify(file, name, archives.identity());
        TimelineHistory history = name instanceof WalFileName.History h ? WalFileCheck.history(file, h) : null;
        Map<String, PutResult> stored = new LinkedHashMap<>();
        Map<String, WalferryException> failedOptional = new LinkedHashMap<>();
        List<WalferryException> failedRequired = new ArrayList<>();
        for (ArchiveTarget t : archives.targets()) {
            try {
                if (history != null) {
                    refuseForeignBranch(t.repository(), history);
                }
                stored.put(t.repository().name(), t.repository().putWal(name, file, compression, gate));
            } catch (WalferryException e) {
                // refused input is refused everywhere: an optional repository cannot make it acceptable
                if (t.required() || e.kind() == Failure.REFUSED || e.kind() == Failure.CONFLICT) {
                    failedRequired.add(e);
                } else {
                    failedOptional.put(t.repository().name(), e);
                }
            }
        }
        if (!failedRequired.isEmpty()) {
            throw failedRequired.get(0);
        }
        return new Result(name, stored, failedOptional);
    }

    /** A new timeline's history must fit the history the repository holds (see {@link HistoryBranch}). */
    private static void refuseForeignBranch(Repository repository, TimelineHistory pushed) {
        java.util.SortedSet<Integer> withSegments = repository.timelinesWithSegments();
        int parent = pushed.parent().map(TimelineHistory.Entry::timeline).orElse(1);
        HistoryBranch.Stored stored = new HistoryBranch.Stored(repository.history(pushed.timeline()),
                parent > 1 ? repository.history(parent) : java.util.Optional.empty(), withSegments, !withSegments.isEmpty());
        HistoryBranch.problem(pushed, stored, repository.name()).ifPresent(p -> {
            throw WalferryException.refused("%08X.history is refused: ".formatted(pushed.timeline()) + p,
                    "only the cluster's own servers may archive; a restored copy must not (archive_mode = off), and a server on "
                            + "another branch must be rejoined (walferry replica rejoin) or re-created (walferry replica create)");
        });
    }

    public static WalFileName parseName(Path file) {
        try {
            return WalFileName.parse(file.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw WalferryException.config(e.getMessage(), "archive_command must be 'walferry archive-push %p'");
        }
    }
}
