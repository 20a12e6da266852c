package io.walferry.auxdir;

import io.walferry.repository.PlainPath;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What an aux manifest may say, checked before a pull uses any of it (whoever can write to a repository chooses it):
 * plain relative paths, each listed once and never below a file or a link; symbolic links whose targets stay inside
 * the directory; permission bits only (no set-id bits); sizes and chunk counts that fit; SHA-256 digests.
 */
final class AuxManifestCheck {
    static final long MAX_FILE_SIZE = 1L << 40;
    static final int MAX_ENTRIES = 1_000_000;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern MODE = Pattern.compile("0[0-7]{3}");

    private AuxManifestCheck() {
    }

    /** A manifest a pull cannot follow safely; the message names the entry. */
    static final class InvalidManifestException extends IOException {
        InvalidManifestException(String message) {
            super(message);
        }
    }

    static void check(AuxManifest m, String name) throws InvalidManifestException {
        if (m.formatVersion() != AuxManifest.FORMAT_VERSION) {
            throw new InvalidManifestException("manifest format version " + m.formatVersion() + " is not " + AuxManifest.FORMAT_VERSION
                    + " (written by a newer walferry?)");
        }
        if (!AuxManifest.isId(m.id()) || !name.equals(m.name())) {
            throw new InvalidManifestException("id " + PlainPath.printable(m.id()) + " or name " + PlainPath.printable(m.name())
                    + " is not that of a manifest of aux directory " + name);
        }
        try {
            Instant.parse(m.createdAt());
        } catch (DateTimeParseException | NullPointerException e) {
            throw new InvalidManifestException("created_at " + PlainPath.printable(m.createdAt()) + " is not a time");
        }
        if (m.chunkSize() != AuxContent.CHUNK_SIZE) {
            throw new InvalidManifestException("chunk_size " + m.chunkSize() + " is not " + AuxContent.CHUNK_SIZE);
        }
        if (m.directories() == null || m.files() == null || m.links() == null) {
            throw new InvalidManifestException("directories, files or links is missing");
        }
        if (m.directories().size() + m.files().size() + m.links().size() > MAX_ENTRIES) {
            throw new InvalidManifestException("it lists more than " + MAX_ENTRIES + " entries");
        }
        /* What each path is: 'd'irectory, 'f'ile or 'l'ink. */
        Map<String, Character> kinds = new HashMap<>();
        for (AuxContent.Directory d : m.directories()) {
            checkEntry(d == null ? null : d.path(), "directory", kinds, 'd');
            checkMode(d.path(), d.mode());
        }
        for (AuxContent.File f : m.files()) {
            checkEntry(f == null ? null : f.path(), "file", kinds, 'f');
            checkMode(f.path(), f.mode());
            checkFile(f);
        }
        for (AuxContent.Link l : m.links()) {
            checkEntry(l == null ? null : l.path(), "link", kinds, 'l');
        }
        for (AuxContent.Link l : m.links()) {
            if (!targetInside(l.path(), l.target(), p -> kinds.get(p) != null && kinds.get(p) == 'l')) {
                throw new InvalidManifestException("link " + PlainPath.printable(l.path()) + " points at " + PlainPath.printable(l.target())
                        + ", outside the directory or through another link");
            }
        }
        for (String path : kinds.keySet()) {
            for (int at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
                Character parent = kinds.get(path.substring(0, at));
                if (parent != null && parent != 'd') {
                    throw new InvalidManifestException(PlainPath.printable(path) + " is listed below "
                            + (parent == 'f' ? "file " : "link ") + PlainPath.printable(path.substring(0, at)));
                }
            }
        }
    }

    private static void checkEntry(String path, String what, Map<String, Character> kinds, char kind) throws InvalidManifestException {
        if (!PlainPath.plain(path)) {
            throw new InvalidManifestException(what + " path " + PlainPath.printable(path) + " is not a plain relative path inside the directory");
        }
        if (AuxScan.isTemporary(path.substring(path.lastIndexOf('/') + 1))) {
            throw new InvalidManifestException(what + " " + PlainPath.printable(path) + " has the name of a pull's temporary file");
        }
        if (kinds.put(path, kind) != null) {
            throw new InvalidManifestException(PlainPath.printable(path) + " is listed twice");
        }
    }

    private static void checkMode(String path, String mode) throws InvalidManifestException {
        if (mode == null || !MODE.matcher(mode).matches()) {
            throw new InvalidManifestException(PlainPath.printable(path) + ": mode " + PlainPath.printable(mode)
                    + " is not permission bits such as 0644");
        }
    }

    private static void checkFile(AuxContent.File f) throws InvalidManifestException {
        if (f.size() < 0 || f.size() > MAX_FILE_SIZE) {
            throw new InvalidManifestException("file " + PlainPath.printable(f.path()) + ": size " + f.size() + " is not from 0 to " + MAX_FILE_SIZE);
        }
        if (f.sha256() == null || !SHA256.matcher(f.sha256()).matches()) {
            throw new InvalidManifestException("file " + PlainPath.printable(f.path()) + ": sha256 " + PlainPath.printable(f.sha256())
                    + " is not a SHA-256 in hex");
        }
        List<String> chunks = f.chunks();
        long expected = (f.size() + AuxContent.CHUNK_SIZE - 1) / AuxContent.CHUNK_SIZE;
        if (chunks == null || chunks.size() != expected) {
            throw new InvalidManifestException("file " + PlainPath.printable(f.path()) + " of " + f.size() + " bytes lists "
                    + (chunks == null ? "no" : chunks.size()) + " chunks, not " + expected);
        }
        for (String c : chunks) {
            if (c == null || !SHA256.matcher(c).matches()) {
                throw new InvalidManifestException("file " + PlainPath.printable(f.path()) + ": chunk " + PlainPath.printable(c)
                        + " is not a SHA-256 in hex");
            }
        }
        if (chunks.size() == 1 && !chunks.get(0).equals(f.sha256())) {
            throw new InvalidManifestException("file " + PlainPath.printable(f.path()) + ": its one chunk is not its content");
        }
    }

    /**
     * Whether a link at {@code path} holding {@code target} points inside the directory: a relative target with no
     * control characters that, resolved from the link's directory, never climbs above the directory's top nor passes
     * through a path that is itself a link (a chain of links could lead out).
     */
    static boolean targetInside(String path, String target, Predicate<String> isLink) {
        if (target == null || target.isEmpty() || target.length() > PlainPath.MAX_LENGTH || target.startsWith("/")
                || target.chars().anyMatch(PlainPath::control)) {
            return false;
        }
        Deque<String> at = new ArrayDeque<>(List.of(path.split("/")));
        at.removeLast();
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                if (at.pollLast() == null) {
                    return false;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                at.addLast(part);
                if (isLink.test(String.join("/", at))) {
                    return false;
                }
            }
        }
        return true;
    }
}
