package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Directories outside PostgreSQL that a replica needs to serve as the primary does (a model cache, say): the
 * primary's agent keeps them in the repositories, and replicas copy them from there (docs/configuration.md).
 *
 * @param directories the configured directories, in the order listed
 * @param interval    how often an agent pushes (on the primary) or pulls (on a replica) them
 */
public record AuxConfig(List<Directory> directories, Duration interval) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    public static final AuxConfig NONE = new AuxConfig(List.of(), DEFAULT_INTERVAL);

    public AuxConfig {
        directories = List.copyOf(directories);
    }

    /**
     * One directory: its short name (its key in the repositories), where it is on the nodes, and where it is instead on
     * nodes that keep it elsewhere ({@code node_paths}: several nodes on one host).
     */
    public record Directory(String name, Path path, Map<String, Path> nodePaths) {
        public Directory {
            nodePaths = Map.copyOf(nodePaths);
        }

        public Directory(String name, Path path) {
            this(name, path, Map.of());
        }

        /** The directory as node {@code node} has it. */
        public Directory on(String node) {
            return new Directory(name, nodePaths.getOrDefault(node, path));
        }
    }

    /** The directories as node {@code node} has them. */
    public List<Directory> directoriesOn(String node) {
        return directories.stream().map(d -> d.on(node)).toList();
    }

    public Optional<Directory> directory(String name) {
        return directories.stream().filter(d -> d.name().equals(name)).findFirst();
    }
}
