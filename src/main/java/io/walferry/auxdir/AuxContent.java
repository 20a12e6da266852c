package io.walferry.auxdir;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What an aux directory holds: its directories, its regular files with their content (SHA-256, and the SHA-256 of
 * each chunk, the objects it is stored as) and its symbolic links, by path relative to the directory, each list in
 * path order (so that two equal contents are equal records).
 */
public record AuxContent(List<Directory> directories, List<File> files, List<Link> links) {
    /** Files are stored in chunks of this size (the last one shorter): no object is larger, and a long upload resumes by chunks. */
    public static final long CHUNK_SIZE = 64L << 20;
    static final AuxContent EMPTY = new AuxContent(List.of(), List.of(), List.of());

    public AuxContent {
        directories = sorted(directories, Directory::path);
        files = sorted(files, File::path);
        links = sorted(links, Link::path);
    }

    private static <T> List<T> sorted(List<T> entries, Function<T, String> path) {
        return entries.stream().sorted(Comparator.comparing(path)).toList();
    }

    /** A directory and its permission bits, as 4 octal digits. */
    public record Directory(@JsonProperty("path") String path, @JsonProperty("mode") String mode) {
    }

    /**
     * A regular file: its size, permission bits, SHA-256 of its content and of each chunk, in order (none for an empty
     * file). Locally, a file not hashed (its content does not matter to the caller) has neither.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record File(@JsonProperty("path") String path, @JsonProperty("size") long size, @JsonProperty("mode") String mode,
                       @JsonProperty("sha256") String sha256, @JsonProperty("chunks") List<String> chunks) {
        boolean hashed() {
            return sha256 != null;
        }

        /** Same size and content (both hashed); the mode aside. */
        boolean sameContent(File other) {
            return hashed() && other.hashed() && size == other.size && sha256.equals(other.sha256);
        }

        /** Where chunk {@code i} starts in the file. */
        static long offset(int i) {
            return i * CHUNK_SIZE;
        }

        /** How long chunk {@code i} is. */
        long chunkLength(int i) {
            return Math.min(CHUNK_SIZE, size - offset(i));
        }
    }

    /** A symbolic link and the relative path it holds (one that stays inside the directory). */
    public record Link(@JsonProperty("path") String path, @JsonProperty("target") String target) {
    }

    public long bytes() {
        return files.stream().mapToLong(File::size).sum();
    }

    /** The mode of a file or directory as a manifest records it: its permission bits, "0644". */
    static String mode(Set<PosixFilePermission> permissions) {
        int bits = 0;
        for (PosixFilePermission p : permissions) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", bits);
    }

    /** The permission bits of a mode a manifest records ({@link AuxManifestCheck} checked it is one). */
    static Set<PosixFilePermission> permissions(String mode) {
        int bits = Integer.parseInt(mode, 8);
        StringBuilder rwx = new StringBuilder();
        for (int i = 8; i >= 0; i--) {
            rwx.append((bits & (1 << i)) == 0 ? '-' : "rwx".charAt((8 - i) % 3));
        }
        return PosixFilePermissions.fromString(rwx.toString());
    }

    /** The files by path. */
    java.util.Map<String, File> filesByPath() {
        return files.stream().collect(Collectors.toMap(File::path, f -> f));
    }
}
