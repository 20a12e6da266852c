package io.walferry.repository.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Files and directories walferry creates on a local disk, for the owner alone whatever the umask: a
 * repository holds every row of the database and, in a backup's {@code global/}, the password hashes; the
 * spool holds copies of WAL. PostgreSQL runs archive_command with umask 077, but systemd and a shell usually
 * give 022, which would leave all of it readable by every local user. An existing directory keeps its mode
 * (an administrator may share one on purpose): {@link #exposure} says when others can get at it.
 */
public final class PrivateFiles {
    public static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    public static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PrivateFiles() {
    }

    /** Creates {@code dir} owner-only; true if this call created it, false if it existed already. */
    public static boolean createDirectory(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, DIRECTORY);
            return true;
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return false;
        }
    }

    /** Creates {@code dir} and its missing parents, each owner-only. */
    public static void createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        Path parent = abs.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        createDirectory(abs);
    }

    /** Opens {@code file} with {@code options}; if it is created, it is created owner-only. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, Set.of(options), FILE);
    }

    /**
     * Why other users can get at what is stored under {@code top} down to {@code inner} (a directory under it, or
     * {@code top} itself), or empty when they cannot: one directory on the way that only its owner can enter
     * guards everything below it. Otherwise the deepest existing one is named: others may read or enter it, or
     * others than its owner may write in it.
     */
    public static Optional<String> exposure(Path top, Path inner) throws IOException {
        String why = null;
        for (Path d = inner; d != null && d.startsWith(top); d = d.getParent()) {
            Optional<String> open = exposure(d);
            if (open.isEmpty() && Files.isDirectory(d)) {
                return Optional.empty();
            }
            if (why == null && open.isPresent()) {
                why = open.get();
            }
        }
        return Optional.ofNullable(why);
    }

    private static Optional<String> exposure(Path dir) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(dir);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (UnsupportedOperationException e) {
            return Optional.empty(); // no POSIX permissions to judge
        }
        String mode = PosixFilePermissions.toString(perms);
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            return Optional.of(dir + " is open to other users (" + mode + "): they can read what is stored in it");
        }
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of(dir + " is writable by other users (" + mode + "): they can change what is stored in it");
        }
        return Optional.empty();
    }
}
