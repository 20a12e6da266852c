package io.walferry.cli;

import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Commands that write a data directory or start a server must run as the server's OS user: files root
 * wrote would be root's, and PostgreSQL refuses to run as root.
 */
final class NotAsRoot {
    private NotAsRoot() {
    }

    static void check(String command) {
        int uid;
        try {
            uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        if (uid == 0) {
            throw WalferryException.config("walferry " + command + " must not run as root: the files it writes would be root's",
                    "run it as the PostgreSQL OS user, e.g. sudo -u postgres walferry " + command + " ...");
        }
    }
}
