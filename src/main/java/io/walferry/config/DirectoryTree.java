package io.walferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A local directory with everything under it: scratch and staging directories walferry removes when done. */
public final class DirectoryTree {
    private DirectoryTree() {
    }

    /** Deletes {@code dir} and all it holds (links are removed, never followed); nothing happens if it is absent. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
