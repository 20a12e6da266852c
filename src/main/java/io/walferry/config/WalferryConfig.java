package io.walferry.config;

import io.walferry.failure.WalferryException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The whole cluster as one YAML file describes it; immutable once loaded. */
public record WalferryConfig(Path source, String cluster, List<NodeConfig> nodes, List<RepositoryConfig> repositories,
                             ArchiveConfig archive, ConnectionConfig connection) {
    public WalferryConfig {
        nodes = List.copyOf(nodes);
        repositories = List.copyOf(repositories);
    }

    public Optional<NodeConfig> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /**
     * The node a command acts for: the one named, else the one whose data directory is the working
     * directory (PostgreSQL runs archive_command there), else the only node.
     */
    public NodeConfig resolveNode(String requested, Path workingDirectory) {
        if (requested != null && !requested.isBlank()) {
            return node(requested).orElseThrow(() -> WalferryException.config(
                    "node '" + requested + "' is not in " + source,
                    "use one of: " + nodes.stream().map(NodeConfig::name).collect(Collectors.joining(", "))));
        }
        if (workingDirectory != null) {
            for (NodeConfig n : nodes) {
                if (sameDirectory(n.dataDirectory(), workingDirectory)) {
                    return n;
                }
            }
        }
        if (nodes.size() == 1) {
            return nodes.get(0);
        }
        throw WalferryException.config("more than one node in " + source + " and none named",
                "pass --node NAME (one of: " + nodes.stream().map(NodeConfig::name).collect(Collectors.joining(", ")) + ")");
    }

    /** The agent's own spool directory for a node. */
    public Path spoolFor(NodeConfig node) {
        return archive.spoolDirectory().resolve(cluster).resolve(node.name());
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isDirectory(a) && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
