package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the top-level {@code aux_directories:} and {@code aux_interval:} keys: each directory a short name and an
 * absolute path (and, for nodes that keep it elsewhere, {@code node_paths}) that lies outside every node's data
 * directory, the spool and every filesystem repository, and outside the other directories of the same node (walferry
 * writes into it on a replica, and must never write into PostgreSQL's files).
 */
final class AuxSection {
    private AuxSection() {
    }

    static AuxConfig read(YamlSection top, List<NodeConfig> nodes, ArchiveConfig archive, List<RepositoryConfig> repositories) {
        Duration interval = top.duration("aux_interval", AuxConfig.DEFAULT_INTERVAL);
        if (interval.toSeconds() < 1) {
            throw top.error("aux_interval", "must be at least 1s");
        }
        List<AuxConfig.Directory> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection s : top.optionalList("aux_directories")) {
            String name = s.name("name");
            if (!names.add(name)) {
                throw s.error("name", "aux directory name \"" + name + "\" is used twice");
            }
            Path path = checked(s, "path", s.path("path"), nodes, archive, repositories);
            Map<String, Path> nodePaths = new HashMap<>();
            YamlSection perNode = s.optionalSection("node_paths").orElse(null);
            if (perNode != null) {
                for (NodeConfig n : nodes) {
                    perNode.optionalPath(n.name()).ifPresent(p -> nodePaths.put(n.name(), checked(perNode, n.name(), p, nodes, archive, repositories)));
                }
                perNode.refuseUnknownKeys();
            }
            AuxConfig.Directory d = new AuxConfig.Directory(name, path, nodePaths);
            for (NodeConfig n : nodes) {
                for (AuxConfig.Directory other : out) {
                    Path mine = d.on(n.name()).path();
                    if (overlap(mine, other.on(n.name()).path())) {
                        String problem = mine + " overlaps aux directory " + other.name() + " (" + other.on(n.name()).path() + ") on node "
                                + n.name() + ": an aux directory must lie outside it";
                        throw nodePaths.containsKey(n.name()) ? perNode.error(n.name(), problem) : s.error("path", problem);
                    }
                }
            }
            s.refuseUnknownKeys();
            out.add(d);
        }
        return new AuxConfig(out, interval);
    }

    /** {@code path}, given at {@code key} of {@code s}, once checked to lie outside what walferry or PostgreSQL owns. */
    private static Path checked(YamlSection s, String key, Path path, List<NodeConfig> nodes, ArchiveConfig archive,
                                List<RepositoryConfig> repositories) {
        if (path.getParent() == null) {
            throw s.error(key, "must be a directory below /, not / itself");
        }
        for (NodeConfig n : nodes) {
            refuseOverlap(s, key, path, n.dataDirectory(), "the data directory of node " + n.name());
        }
        refuseOverlap(s, key, path, archive.spoolDirectory(), "archive.spool_directory");
        for (RepositoryConfig r : repositories) {
            if (r instanceof FsRepositoryConfig fs) {
                refuseOverlap(s, key, path, fs.path(), "repository " + fs.name());
            }
        }
        return path;
    }

    private static boolean overlap(Path a, Path b) {
        return a.startsWith(b) || b.startsWith(a);
    }

    private static void refuseOverlap(YamlSection s, String key, Path path, Path other, String what) {
        if (overlap(path, other)) {
            throw s.error(key, path + " overlaps " + what + " (" + other + "): an aux directory must lie outside it");
        }
    }
}
