package io.walferry.archive;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Who may archive into the cluster's repositories: PostgreSQL runs archive_command in its data directory, and only
 * the servers of the configured nodes write the cluster's history. A restored copy (a PITR look, a test copy) that
 * was started with archiving on would otherwise store its own timeline beside production's, and replicas that
 * follow the newest timeline would follow the copy's.
 */
public final class ArchiveOrigin {
    private ArchiveOrigin() {
    }

    /**
     * Refuses when {@code workingDirectory} is a PostgreSQL data directory that no configured node has; a push run by
     * hand (from anywhere else) is the user's own.
     */
    public static void requireConfiguredNode(WalferryConfig config, Path workingDirectory) {
        if (!Files.exists(workingDirectory.resolve("PG_VERSION"))) {
            return;
        }
        for (NodeConfig n : config.nodes()) {
            if (same(n.dataDirectory(), workingDirectory)) {
                return;
            }
        }
        throw WalferryException.refused("archive-push refused: " + workingDirectory + " is the data directory of no node in "
                        + config.source() + " (nodes: " + config.nodes().stream().map(n -> n.name() + " " + n.dataDirectory())
                        .collect(Collectors.joining(", ")) + "): a server that is not the cluster's must not write its history into "
                        + "the repositories",
                "on a restored copy, set archive_mode = off (walferry restore does unless --archive on); a new node must be added "
                        + "to the configuration first");
    }

    private static boolean same(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
