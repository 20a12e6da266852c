package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Directories outside PostgreSQL that a replica needs to serve as the primary does (a model cache, say): the
 * primary's agent keeps them in the repositories, and replicas copy them from there (docs/ha.md).
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

    /** One directory: its short name (its key in the repositories) and where it is on every node. */
    public record Directory(String name, Path path) {
    }

    public Optional<Directory> directory(String name) {
        return directories.stream().filter(d -> d.name().equals(name)).findFirst();
    }
}
