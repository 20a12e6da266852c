package io.walferry.backup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The places a restore writes to: the target directory and the tablespace directories, and nothing else. A
 * manifest path (checked by {@link ManifestCheck}) is resolved component by component, each directory created
 * here or found as a real directory, never followed through a symbolic link: a link planted in the target
 * cannot send a write elsewhere. Files below pg_tblspc/OID/ go straight to that tablespace's directory.
 */
final class RestoreTree {
    private final Path target;
    private final Map<String, Path> tablespaces;
    /** Directories known to be real, so that a restore of many files checks each once. */
    private final Set<Path> known = ConcurrentHashMap.newKeySet();

    RestoreTree(Path target, Map<String, Path> tablespaces) {
        this.target = target;
        this.tablespaces = tablespaces;
    }

    /** Creates (or finds) the directory at manifest path {@code relative}. */
    Path directory(String relative) throws IOException {
        return walk(relative, true);
    }

    /** The place of the file at manifest path {@code relative}, its directories created; the file itself is not. */
    Path file(String relative) throws IOException {
        return walk(relative, false);
    }

    private Path walk(String relative, boolean directory) throws IOException {
        String[] parts = relative.split("/");
        Path at = target;
        int from = 0;
        if (parts.length >= 2 && parts[0].equals("pg_tblspc") && tablespaces.containsKey(parts[1])) {
            at = tablespaces.get(parts[1]);
            from = 2;
        }
        int dirs = directory ? parts.length : parts.length - 1;
        for (int i = from; i < dirs; i++) {
            at = at.resolve(parts[i]);
            realDirectory(at);
        }
        return directory ? at : at.resolve(parts[parts.length - 1]);
    }

    private void realDirectory(Path p) throws IOException {
        if (known.contains(p)) {
            return;
        }
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(p + " is in the way of a directory of the backup (a symbolic link or a file): refused");
            }
        }
        known.add(p);
    }
}
