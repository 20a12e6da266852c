package io.walferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The OS user this process runs as, for ownership checks of the files walferry trusts. */
public final class CurrentUser {
    private static final int UID = readUid();

    private CurrentUser() {
    }

    /** The numeric user id, or -1 where /proc does not say. */
    public static int uid() {
        return UID;
    }

    private static int readUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }
}
