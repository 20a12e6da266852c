package io.walferry.archive;

import io.walferry.repository.storage.PrivateFiles;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What optional repositories still lack, kept in the node's spool as {@code behind/<repository>/<file>} so
 * that it survives restarts and is shared by archive-push and the agent, which catches the repositories up.
 * Owner-only, as the rest of the spool: the names say which WAL a repository lacks.
 */
public record CatchUpMarkers(Path directory) {
    public static CatchUpMarkers in(Path spool) {
        return new CatchUpMarkers(spool.resolve("behind"));
    }

    public record Marker(String repository, String fileName, Path path) {
    }

    public void mark(String repository, String fileName) throws IOException {
        Path marker = directory.resolve(repository).resolve(fileName);
        PrivateFiles.createDirectories(marker.getParent());
        try {
            Files.createFile(marker, PrivateFiles.FILE);
        } catch (FileAlreadyExistsException e) {
            // already known
        }
    }

    /** Every marker, per repository in file-name order (oldest WAL first). */
    public List<Marker> list() throws IOException {
        List<Marker> out = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return out;
        }
        try (Stream<Path> repos = Files.list(directory)) {
            for (Path repo : repos.sorted().toList()) {
                try (Stream<Path> files = Files.list(repo)) {
                    files.sorted().forEach(f -> out.add(new Marker(repo.getFileName().toString(), f.getFileName().toString(), f)));
                }
            }
        }
        return out;
    }

    public void clear(Marker m) throws IOException {
        Files.deleteIfExists(m.path());
    }
}
