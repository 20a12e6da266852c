package io.walferry.fastpath;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A small state file that the launcher reads while walferry rewrites it (a pid, an ack, where replay is):
 * written beside its name and renamed over it, so that a reader sees the old content or the new, never half.
 * Not for repository objects, which must also be durable (see repository.Storage).
 */
final class AtomicFile {
    private AtomicFile() {
    }

    static void write(Path target, String content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(temp, content, StandardCharsets.UTF_8);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
