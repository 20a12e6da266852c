package io.walferry.agent;

import io.walferry.monitor.ArchiveBacklog;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * PostgreSQL's {@code pg_wal/archive_status}: which files wait to be archived ({@code .ready}). Timeline
 * history files come first, as PostgreSQL's archiver takes them first, then everything in name order.
 */
public record ArchiveStatus(Path pgWal) {
    public Path statusDirectory() {
        return pgWal.resolve("archive_status");
    }

    public List<String> ready() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(statusDirectory(), "*.ready")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                names.add(n.substring(0, n.length() - ".ready".length()));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        names.sort(Comparator.comparing((String n) -> !n.endsWith(".history")).thenComparing(Comparator.naturalOrder()));
        return names;
    }

    /**
     * The ready files not yet {@code acked}: how many, their size, and how long the oldest has waited (its {@code .ready}
     * file's age: PostgreSQL makes it when it finishes the segment).
     */
    public ArchiveBacklog backlog(Predicate<String> acked, long nowMillis) throws IOException {
        int files = 0;
        long bytes = 0;
        long oldest = nowMillis;
        for (String name : ready()) {
            if (acked.test(name)) {
                continue;
            }
            try {
                long since = Files.getLastModifiedTime(statusDirectory().resolve(name + ".ready")).toMillis();
                long size = Files.size(pgWal.resolve(name));
                files++;
                bytes += size;
                oldest = Math.min(oldest, since);
            } catch (NoSuchFileException archivedMeanwhile) {
                // PostgreSQL archived (and renamed or recycled) it while this looked
            }
        }
        return new ArchiveBacklog(files, bytes, Math.max(0, nowMillis - oldest) / 1000.0);
    }

    public boolean isReady(String name) {
        return Files.exists(statusDirectory().resolve(name + ".ready"));
    }
}
