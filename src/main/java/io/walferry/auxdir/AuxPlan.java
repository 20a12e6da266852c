package io.walferry.auxdir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The decisions of a push and a pull, as pure functions of what is there and what is wanted: which chunks to upload,
 * what a new manifest records, and what a pull writes, links, changes, removes or must leave because it is in the way.
 */
final class AuxPlan {
    private AuxPlan() {
    }

    /** A chunk to upload, and where its bytes are: the first file that holds it. */
    record Upload(String sha256, String path, long offset, long length) {
    }

    /** The chunks of {@code now} that {@code stored} (the newest manifest) does not name, each once, in path order. */
    static List<Upload> uploads(AuxContent now, AuxContent stored) {
        Set<String> have = chunks(stored);
        Map<String, Upload> out = new LinkedHashMap<>();
        for (AuxContent.File f : now.files()) {
            for (int i = 0; i < f.chunks().size(); i++) {
                String c = f.chunks().get(i);
                if (!have.contains(c) && !out.containsKey(c)) {
                    out.put(c, new Upload(c, f.path(), AuxContent.File.offset(i), f.chunkLength(i)));
                }
            }
        }
        return List.copyOf(out.values());
    }

    static Set<String> chunks(AuxContent content) {
        Set<String> out = new HashSet<>();
        content.files().forEach(f -> out.addAll(f.chunks()));
        return out;
    }

    /**
     * What a new manifest records: the directories and links of {@code now}, and each file of it whose every chunk is
     * {@code available} (stored before, or uploaded now); for a file that is not (it changed while read, or its upload
     * failed) and for a file that changed while it was hashed ({@code unstable}), the entry {@code stored} has, if any.
     * A manifest never names an object that is not stored.
     */
    static AuxContent recorded(AuxContent now, Set<String> unstable, Set<String> available, AuxContent stored) {
        Map<String, AuxContent.File> before = stored.filesByPath();
        List<AuxContent.File> files = new ArrayList<>();
        for (AuxContent.File f : now.files()) {
            if (available.containsAll(f.chunks())) {
                files.add(f);
            } else if (before.containsKey(f.path())) {
                files.add(before.get(f.path()));
            }
        }
        for (String path : unstable) {
            if (before.containsKey(path)) {
                files.add(before.get(path));
            }
        }
        return new AuxContent(now.directories(), files, now.links());
    }

    /**
     * What a pull does.
     *
     * @param makeDirectories directories to create (parents first)
     * @param fetch           files to write from the repository (absent, or of other content)
     * @param link            links to make (absent, or another target or a file there)
     * @param fileModes       files of the right content whose mode is to be set
     * @param directoryModes  directories whose mode is set once everything is in place (new ones, and those of another mode)
     * @param remove          files and links the manifest does not list: those the last pull placed and that are as it left
     *                        them, or with prune every one
     * @param removeDirectories directories the manifest does not list (those the last pull listed, or with prune every one),
     *                        deepest first, removed if they are empty then
     * @param conflicts       what is in the way: "PATH: why", nothing is written there or below
     * @param unchanged       files already as the manifest has them
     */
    record Pull(List<AuxContent.Directory> makeDirectories, List<AuxContent.File> fetch, List<AuxContent.Link> link,
                List<AuxContent.File> fileModes, List<AuxContent.Directory> directoryModes, List<String> remove,
                List<String> removeDirectories, List<String> conflicts, int unchanged) {
        long fetchBytes() {
            return fetch.stream().mapToLong(AuxContent.File::size).sum();
        }
    }

    /**
     * What a pull of {@code wanted} into a directory that holds {@code local} does: files in {@code leaveAlone} (being
     * written here) are not touched; what is at a path of {@code unstored} (here, but nothing walferry copies: a link
     * out of the directory, a socket) is in the way of anything the manifest has there. Of what the manifest does not list, only what the last pull placed
     * ({@code pulledBefore}) and is still as it placed it is removed (the primary removed it), unless {@code prune}
     * removes all of it: what was made here stays.
     */
    static Pull pull(AuxContent local, Set<String> leaveAlone, Set<String> unstored, AuxContent wanted, AuxContent pulledBefore,
                     boolean prune) {
        Map<String, Character> here = kinds(local);
        unstored.forEach(p -> here.putIfAbsent(p, 'o'));
        Map<String, AuxContent.File> localFiles = local.filesByPath();
        Map<String, String> localLinks = new HashMap<>();
        local.links().forEach(l -> localLinks.put(l.path(), l.target()));
        Map<String, String> localDirs = new HashMap<>();
        local.directories().forEach(d -> localDirs.put(d.path(), d.mode()));
        List<String> conflicts = new ArrayList<>();
        Set<String> blocked = new HashSet<>();
        List<AuxContent.Directory> make = new ArrayList<>();
        List<AuxContent.Directory> dirModes = new ArrayList<>();
        for (AuxContent.Directory d : wanted.directories()) {
            if (below(d.path(), blocked)) {
                continue;
            }
            Character k = here.get(d.path());
            if (k == null) {
                make.add(d);
                dirModes.add(d);
            } else if (k != 'd') {
                conflicts.add(d.path() + ": " + what(k) + " here, a directory in the manifest");
                blocked.add(d.path());
            } else if (!d.mode().equals(localDirs.get(d.path()))) {
                dirModes.add(d);
            }
        }
        List<AuxContent.File> fetch = new ArrayList<>();
        List<AuxContent.File> fileModes = new ArrayList<>();
        int unchanged = 0;
        for (AuxContent.File f : wanted.files()) {
            if (below(f.path(), blocked) || leaveAlone.contains(f.path())) {
                continue;
            }
            Character k = here.get(f.path());
            if (k != null && (k == 'd' || k == 'o')) {
                conflicts.add(f.path() + ": " + what(k) + " here, a file in the manifest");
            } else if (k != null && k == 'f' && localFiles.get(f.path()).sameContent(f)) {
                unchanged++;
                if (!f.mode().equals(localFiles.get(f.path()).mode())) {
                    fileModes.add(f);
                }
            } else {
                fetch.add(f);
            }
        }
        List<AuxContent.Link> link = new ArrayList<>();
        for (AuxContent.Link l : wanted.links()) {
            if (below(l.path(), blocked) || leaveAlone.contains(l.path())) {
                continue;
            }
            Character k = here.get(l.path());
            if (k != null && (k == 'd' || k == 'o')) {
                conflicts.add(l.path() + ": " + what(k) + " here, a symbolic link in the manifest");
            } else if (!l.target().equals(localLinks.get(l.path()))) {
                link.add(l);
            }
        }
        List<String> remove = new ArrayList<>();
        List<String> removeDirectories = new ArrayList<>();
        Map<String, Character> listed = kinds(wanted);
        Map<String, AuxContent.File> placedFiles = pulledBefore.filesByPath();
        Map<String, String> placedLinks = new HashMap<>();
        pulledBefore.links().forEach(l -> placedLinks.put(l.path(), l.target()));
        Set<String> placedDirectories = new HashSet<>();
        pulledBefore.directories().forEach(d -> placedDirectories.add(d.path()));
        for (AuxContent.File f : local.files()) {
            AuxContent.File placed = placedFiles.get(f.path());
            if (!listed.containsKey(f.path()) && !leaveAlone.contains(f.path()) && (prune || placed != null && f.sameContent(placed))) {
                remove.add(f.path());
            }
        }
        for (AuxContent.Link l : local.links()) {
            if (!listed.containsKey(l.path()) && (prune || l.target().equals(placedLinks.get(l.path())))) {
                remove.add(l.path());
            }
        }
        for (AuxContent.Directory d : local.directories()) {
            if (!listed.containsKey(d.path()) && (prune || placedDirectories.contains(d.path()))) {
                removeDirectories.add(d.path());
            }
        }
        removeDirectories.sort(Comparator.reverseOrder());
        dirModes.sort(Comparator.comparing(AuxContent.Directory::path).reversed());
        return new Pull(make, fetch, link, fileModes, dirModes, remove, removeDirectories, conflicts, unchanged);
    }

    /** What a kind of {@link #kinds} (or 'o': something walferry does not copy) is, for a message. */
    private static String what(char kind) {
        return switch (kind) {
            case 'd' -> "a directory";
            case 'f' -> "a file";
            case 'l' -> "a symbolic link";
            default -> "something walferry does not copy (a link out of the directory, a socket, FIFO or device)";
        };
    }

    /** What each path of {@code content} is: 'd'irectory, 'f'ile or 'l'ink. */
    private static Map<String, Character> kinds(AuxContent content) {
        Map<String, Character> out = new HashMap<>();
        content.directories().forEach(d -> out.put(d.path(), 'd'));
        content.files().forEach(f -> out.put(f.path(), 'f'));
        content.links().forEach(l -> out.put(l.path(), 'l'));
        return out;
    }

    /** Whether {@code path} lies below one of {@code tops}. */
    private static boolean below(String path, Set<String> tops) {
        for (int at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
            if (tops.contains(path.substring(0, at))) {
                return true;
            }
        }
        return false;
    }
}
