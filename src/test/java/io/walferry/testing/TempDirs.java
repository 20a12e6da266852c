package io.walferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Scratch directories for tests that start PostgreSQL servers.
 *
 * <p>They live directly under {@code /tmp} (not {@code java.io.tmpdir}, which may point below
 * {@code /root}) and are world-searchable, because the server may run as another user
 * ({@link ServerUser}) that has to reach them.
 */
public final class TempDirs {

    private static final Path ROOT = Path.of("/tmp");

    private TempDirs() {
    }

    /** Creates a fresh directory {@code /tmp/<prefix><random>} with mode 0755. */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(ROOT, prefix);
            // Set explicitly: createTempDirectory makes it 0700 and a creation-time mode is subject to umask.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create temp dir with prefix " + prefix + " under " + ROOT, e);
        }
    }

    /**
     * Deletes {@code dir} and everything below it without following symlinks; a missing tree is
     * fine. Keeps going past failures and reports the first one at the end, so that as much as
     * possible is removed.
     */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        IOException[] first = new IOException[1];
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    // Files can vanish under us while a server is still shutting down.
                    if (!(e instanceof NoSuchFileException)) {
                        remember(e);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        remember(e);
                    }
                    delete(d);
                    return FileVisitResult.CONTINUE;
                }

                private void delete(Path p) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        remember(e);
                    }
                }

                private void remember(IOException e) {
                    if (first[0] == null) {
                        first[0] = e;
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
        if (first[0] != null) {
            throw new UncheckedIOException("cannot fully delete " + dir, first[0]);
        }
    }
}
