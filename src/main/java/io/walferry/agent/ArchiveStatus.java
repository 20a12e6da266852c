package io.walferry.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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

    public boolean isReady(String name) {
        return Files.exists(statusDirectory().resolve(name + ".ready"));
    }
}
