package io.walferry.config;

import io.walferry.failure.WalferryException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The whole cluster as one YAML file describes it; immutable once loaded. */
public record WalferryConfig(Path source, String cluster, List<NodeConfig> nodes, List<RepositoryConfig> repositories,
                             ArchiveConfig archive, ConnectionConfig connection, Optional<HaConfig> ha, MonitoringConfig monitoring,
                             AuxConfig aux, List<LogicalStreamConfig> logical, Optional<RouterConfig> router) {
    public WalferryConfig {
        nodes = List.copyOf(nodes);
        repositories = List.copyOf(repositories);
        logical = List.copyOf(logical);
    }

    /** The logical replication stream of that name, or a configuration error naming the ones there are. */
    public LogicalStreamConfig logicalStream(String name) {
        return logical.stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow(() -> WalferryException.config(
                "no logical stream '" + name + "' in " + source, logical.isEmpty() ? "add it to the logical: section (docs/logical.md)"
                        : "use one of: " + logical.stream().map(LogicalStreamConfig::name).collect(Collectors.joining(", "))));
    }

    public Optional<NodeConfig> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /**
     * The node a command acts for: the one named, else the one whose data directory is the working
     * directory (PostgreSQL runs archive_command there), else the only node.
     */
    public NodeConfig resolveNode(String requested, Path workingDirectory) {
        return chosenNode(requested, workingDirectory).orElseThrow(() -> WalferryException.config("more than one node in " + source
                + " and none named", "pass --node NAME (one of: " + nodeNames() + ")"));
    }

    /** As {@link #resolveNode}, but empty where there are several nodes and nothing says which. */
    public Optional<NodeConfig> chosenNode(String requested, Path workingDirectory) {
        if (requested != null && !requested.isBlank()) {
            return Optional.of(node(requested).orElseThrow(() -> WalferryException.config(
                    "node '" + requested + "' is not in " + source, "use one of: " + nodeNames())));
        }
        if (workingDirectory != null) {
            for (NodeConfig n : nodes) {
                if (sameDirectory(n.dataDirectory(), workingDirectory)) {
                    return Optional.of(n);
                }
            }
        }
        return nodes.size() == 1 ? Optional.of(nodes.get(0)) : Optional.empty();
    }

    public String nodeNames() {
        return nodes.stream().map(NodeConfig::name).collect(Collectors.joining(", "));
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
