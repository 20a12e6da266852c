package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the top-level {@code aux_directories:} and {@code aux_interval:} keys: each directory a short name and an
 * absolute path that lies outside every node's data directory, the spool and every filesystem repository, and
 * outside the other directories (walferry writes into it on a replica, and must never write into PostgreSQL's files).
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
            Path path = s.path("path");
            if (path.getParent() == null) {
                throw s.error("path", "must be a directory below /, not / itself");
            }
            for (NodeConfig n : nodes) {
                refuseOverlap(s, path, n.dataDirectory(), "the data directory of node " + n.name());
            }
            refuseOverlap(s, path, archive.spoolDirectory(), "archive.spool_directory");
            for (RepositoryConfig r : repositories) {
                if (r instanceof FsRepositoryConfig fs) {
                    refuseOverlap(s, path, fs.path(), "repository " + fs.name());
                }
            }
            for (AuxConfig.Directory d : out) {
                refuseOverlap(s, path, d.path(), "aux directory " + d.name());
            }
            s.refuseUnknownKeys();
            out.add(new AuxConfig.Directory(name, path));
        }
        return new AuxConfig(out, interval);
    }

    private static void refuseOverlap(YamlSection s, Path path, Path other, String what) {
        if (path.startsWith(other) || other.startsWith(path)) {
            throw s.error("path", path + " overlaps " + what + " (" + other + "): an aux directory must lie outside it");
        }
    }
}
