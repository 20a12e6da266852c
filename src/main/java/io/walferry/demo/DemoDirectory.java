package io.walferry.demo;

import io.walferry.config.CurrentUser;
import io.walferry.failure.WalferryException;
import io.walferry.repository.storage.PrivateFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the demo keeps its servers, repository and spool. It starts servers, kills its previous agent and
 * deletes its previous run there, so it takes only a directory nobody else can have planted or written in:
 * by default one under this user's home, and never a fixed name in /tmp; a directory given with --dir must be
 * new, empty, or an earlier demo's (it holds {@link #MARKER}), this user's, no link, and writable by no one else.
 */
public final class DemoDirectory {
    static final String MARKER = ".walferry-demo";

    private DemoDirectory() {
    }

    /** Where the demo runs without --dir: {@link #defaultLocation}, else a fresh {@link #temporary} directory. */
    public static Path byDefault(Map<String, String> env, Path home) {
        return defaultLocation(env, home).orElseGet(DemoDirectory::temporary);
    }

    /**
     * {@code $XDG_STATE_HOME/walferry/demo}, else {@code ~/.local/state/walferry/demo}, when the home directory is
     * this user's; else empty, and the demo makes a fresh private directory of its own in the temporary directory.
     */
    static Optional<Path> defaultLocation(Map<String, String> env, Path home) {
        String state = env.getOrDefault("XDG_STATE_HOME", "");
        Path base = state.startsWith("/") ? Path.of(state) : home.resolve(".local/state");
        try {
            if (Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS) && owner(home) == CurrentUser.uid()) {
                return Optional.of(base.resolve("walferry/demo"));
            }
        } catch (IOException e) {
            // no usable home: a temporary directory
        }
        return Optional.empty();
    }

    /** A new private directory with a name nobody can guess, for a user without a home of their own. */
    static Path temporary() {
        try {
            return Files.createTempDirectory("walferry-demo-", PrivateFiles.DIRECTORY);
        } catch (IOException e) {
            throw WalferryException.config("cannot create a directory for the demo: " + e.getMessage(), "pass --dir DIR");
        }
    }

    /**
     * Why the demo must not take {@code dir} over, or empty when it may (it does not exist yet, or it passes
     * every check above). Its earlier run's contents are then trusted: nobody else could have written them.
     */
    static Optional<String> refusal(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(dir + " is not a directory (a symbolic link or a file)");
        }
        int owner = owner(dir);
        if (owner != CurrentUser.uid()) {
            return Optional.of(dir + " belongs to uid " + owner + ", not to this user (uid " + CurrentUser.uid() + ")");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of(dir + " is writable by other users (" + PosixFilePermissions.toString(perms) + ")");
        }
        if (!Files.exists(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    return Optional.of(dir + " is not empty and holds no earlier demo, whose files the demo would delete");
                }
            }
        }
        return Optional.empty();
    }

    /** A directory of the earlier run (a data directory), if it is really there: no link, this user's. */
    static boolean ours(Path p) throws IOException {
        return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && owner(p) == CurrentUser.uid();
    }

    private static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
}
