package io.walferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Who besides this process's user could read or replace a file that holds a secret (a secret file, or a
 * configuration file with a secret inline). It must be owned by this user or by root, and open to no other
 * user. Its group may read it only when root owns it: root:postgres 0640 is how an administrator hands a key to
 * the server's user on purpose, while a group bit on the user's own file is usually a umask's accident. No
 * group may write it: whoever can replace an encryption key can choose the key new objects are sealed with.
 */
final class SecretFileAccess {
    private SecretFileAccess() {
    }

    /** What is wrong with {@code p}, as the rest of a sentence that starts with its name, with the fix; empty when nothing. */
    static Optional<String> problem(Path p) throws IOException {
        Set<PosixFilePermission> perms;
        int owner;
        try {
            perms = Files.getPosixFilePermissions(p);
            owner = (Integer) Files.getAttribute(p, "unix:uid");
        } catch (UnsupportedOperationException e) {
            return Optional.empty(); // no POSIX permissions to judge
        }
        String mode = PosixFilePermissions.toString(perms);
        int me = CurrentUser.uid();
        if (me >= 0 && owner != me && owner != 0) {
            return Optional.of("is owned by uid " + owner + ", who could replace it: make this user (uid " + me + ") or root its owner");
        }
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of("is readable by other users (" + mode + "): run chmod 600 " + p);
        }
        if (perms.contains(PosixFilePermission.GROUP_WRITE)) {
            return Optional.of("is writable by its group (" + mode + "): run chmod 600 " + p);
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) && owner != 0) {
            return Optional.of("is readable by its group (" + mode + "): run chmod 600 " + p + " (a group may read a secret file only "
                    + "when root owns it)");
        }
        return Optional.empty();
    }
}
