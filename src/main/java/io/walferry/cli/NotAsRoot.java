package io.walferry.cli;

import io.walferry.failure.WalferryException;

/**
 * Commands that write a data directory or start a server must run as the server's OS user: files root
 * wrote would be root's, and PostgreSQL refuses to run as root.
 */
final class NotAsRoot {
    private final int uid;

    /** @param uid the user id this process runs as; -1 when it is not known (nothing is refused then) */
    NotAsRoot(int uid) {
        this.uid = uid;
    }

    void check(String command) {
        if (uid == 0) {
            throw WalferryException.config("walferry " + command + " must not run as root: the files it writes would be root's",
                    "run it as the PostgreSQL OS user, e.g. sudo -u postgres walferry " + command + " ...");
        }
    }
}
