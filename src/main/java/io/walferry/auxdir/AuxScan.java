package io.walferry.auxdir;

import io.walferry.failure.WalferryException;
import io.walferry.repository.PlainPath;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lists an aux directory as it is on disk, never following a symbolic link: its directories, its regular files (size,
 * modification time, identity, mode: not their content) and its links whose targets stay inside it. What cannot be
 * stored is skipped with the reason (sockets, FIFOs and devices, links that lead out, files too large, names that
 * cannot be read back); the temporary files an interrupted pull left are listed apart.
 */
final class AuxScan {
    private static final Pattern TEMPORARY = Pattern.compile("\\.walferry-aux-[0-9a-f]{16}\\.tmp");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AuxScan() {
    }

    /** A regular file as found: what tells whether it changed since it was hashed. */
    record Stat(String path, long size, long modifiedNanos, String fileKey, String mode) {
    }

    record Scanned(List<Stat> files, List<AuxContent.Directory> directories, List<AuxContent.Link> links, List<AuxSync.Skipped> skipped,
                   List<Path> temporaries) {
    }

    /** Whether {@code fileName} is that of a pull's temporary file. */
    static boolean isTemporary(String fileName) {
        return TEMPORARY.matcher(fileName).matches();
    }

    /** A new temporary name for a file a pull writes beside its final name. */
    static String temporaryName() {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return ".walferry-aux-" + HexFormat.of().formatHex(r) + ".tmp";
    }

    /** Lists {@code root}, an existing directory that is no link (its real path). */
    static Scanned scan(Path root) throws IOException {
        List<Stat> files = new ArrayList<>();
        List<AuxContent.Directory> directories = new ArrayList<>();
        List<AuxContent.Link> links = new ArrayList<>();
        List<AuxSync.Skipped> skipped = new ArrayList<>();
        List<Path> temporaries = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            private int entries;

            private String relative(Path p) {
                return root.relativize(p).toString();
            }

            /** Counts an entry; false (and the reason noted) when it cannot be stored under its name. */
            private boolean storable(Path p, String rel) {
                if (++entries > AuxManifestCheck.MAX_ENTRIES) {
                    throw WalferryException.refused("aux directory " + root + " holds more than " + AuxManifestCheck.MAX_ENTRIES + " entries",
                            "list a smaller directory in aux_directories");
                }
                if (!PlainPath.plain(rel)) {
                    skipped.add(new AuxSync.Skipped(PlainPath.printable(rel), "its name holds a control character or is too long"));
                    return false;
                }
                if ((rel.indexOf('\uFFFD') >= 0 || rel.indexOf('?') >= 0) && !Files.exists(root.resolve(rel), LinkOption.NOFOLLOW_LINKS)) {
                    skipped.add(new AuxSync.Skipped(rel, "its name cannot be read in this locale's encoding (run walferry with a UTF-8 locale)"));
                    return false;
                }
                return true;
            }

            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.equals(root)) {
                    return FileVisitResult.CONTINUE;
                }
                String rel = relative(dir);
                if (!storable(dir, rel)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                directories.add(new AuxContent.Directory(rel, AuxContent.mode(permissions(dir, attrs))));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String rel = relative(file);
                if (isTemporary(file.getFileName().toString())) {
                    temporaries.add(file);
                } else if (!storable(file, rel)) {
                    return FileVisitResult.CONTINUE;
                } else if (attrs.isRegularFile()) {
                    if (attrs.size() > AuxManifestCheck.MAX_FILE_SIZE) {
                        skipped.add(new AuxSync.Skipped(rel, "larger than " + (AuxManifestCheck.MAX_FILE_SIZE >> 40) + " TiB"));
                    } else {
                        files.add(new Stat(rel, attrs.size(), nanos(attrs), String.valueOf(attrs.fileKey()),
                                AuxContent.mode(permissions(file, attrs))));
                    }
                } else if (attrs.isSymbolicLink()) {
                    links.add(new AuxContent.Link(rel, Files.readSymbolicLink(file).toString()));
                } else {
                    skipped.add(new AuxSync.Skipped(rel, "not a regular file, directory or symbolic link (a socket, FIFO or device)"));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                if (!(e instanceof NoSuchFileException)) {
                    skipped.add(new AuxSync.Skipped(relative(file), "cannot be read: " + e.getMessage()));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Set<String> linkPaths = new HashSet<>();
        links.forEach(l -> linkPaths.add(l.path()));
        List<AuxContent.Link> inside = new ArrayList<>();
        for (AuxContent.Link l : links) {
            if (AuxManifestCheck.targetInside(l.path(), l.target(), linkPaths::contains)) {
                inside.add(l);
            } else {
                skipped.add(new AuxSync.Skipped(l.path(), "a symbolic link to " + l.target() + ", outside the directory or through another link"));
            }
        }
        return new Scanned(files, directories, inside, skipped, temporaries);
    }

    static long nanos(BasicFileAttributes attrs) {
        java.time.Instant t = attrs.lastModifiedTime().toInstant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static Set<PosixFilePermission> permissions(Path p, BasicFileAttributes attrs) throws IOException {
        if (attrs instanceof PosixFileAttributes posix) {
            return posix.permissions();
        }
        return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
    }
}
