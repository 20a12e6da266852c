package io.walferry.auxdir;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.repository.storage.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a node last hashed in an aux directory, kept in its spool ({@code <spool>/aux/<name>/index.json}) so that a
 * scan hashes only files whose size, modification time or identity changed. It is a cache: a missing or unreadable
 * index only costs hashing again. A file modified within {@link #RACY_NANOS} of its hashing is not remembered: a
 * write in the same clock tick could leave its time unchanged. On a replica it also keeps what the last pull placed
 * ({@link #pulled}), so that the next one removes what the primary removed, and only that, and which manifest the last
 * complete pull followed ({@link #completePull}): only a node in step with the newest manifest may push (AuxPushGate).
 */
final class AuxIndex {
    private static final Logger LOG = LoggerFactory.getLogger(AuxIndex.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final long RACY_NANOS = 2_000_000_000L;

    record Entry(@JsonProperty("size") long size, @JsonProperty("modified_ns") long modifiedNanos,
                 @JsonProperty("file_key") String fileKey, @JsonProperty("sha256") String sha256,
                 @JsonProperty("chunks") List<String> chunks) {
    }

    record Stored(@JsonProperty("format_version") int formatVersion, @JsonProperty("root") String root,
                  @JsonProperty("entries") Map<String, Entry> entries, @JsonProperty("pulled") AuxContent pulled,
                  @JsonProperty("complete_pull") String completePull) {
    }

    private final Path file;
    private final Path root;
    private final Map<String, Entry> entries;
    private AuxContent pulled;
    private String completePull;

    AuxIndex(Path file, Path root, Map<String, Entry> entries, AuxContent pulled, String completePull) {
        this.file = file;
        this.root = root;
        this.entries = new HashMap<>(entries);
        this.pulled = pulled == null ? AuxContent.EMPTY : pulled;
        this.completePull = completePull;
    }

    /** The index of aux directory {@code root} kept at {@code file}; empty if there is none, or one of another directory. */
    static AuxIndex load(Path file, Path root) {
        try {
            Stored s = JSON.readValue(Files.readAllBytes(file), Stored.class);
            if (s != null && s.formatVersion() == 1 && root.toString().equals(s.root()) && s.entries() != null) {
                return new AuxIndex(file, root, s.entries(), s.pulled(), s.completePull());
            }
        } catch (NoSuchFileException e) {
            // never scanned here
        } catch (IOException | RuntimeException e) {
            LOG.warn("aux index {} cannot be read ({}): every file is hashed again", file, e.getMessage());
        }
        return new AuxIndex(file, root, Map.of(), AuxContent.EMPTY, null);
    }

    /** What the manifest the last pull here followed listed (nothing before the first pull). */
    AuxContent pulled() {
        return pulled;
    }

    void pulled(AuxContent content) {
        pulled = content;
    }

    /** The id of the manifest the last pull that placed everything it listed followed (none: no pull here has). */
    Optional<String> completePull() {
        return Optional.ofNullable(completePull);
    }

    void completePull(String id) {
        completePull = id;
    }

    /** The content of the file {@code s} describes, if it was hashed with this size, time and identity. */
    Optional<AuxContent.File> known(AuxScan.Stat s) {
        Entry e = entries.get(s.path());
        if (e == null || e.size() != s.size() || e.modifiedNanos() != s.modifiedNanos() || !s.fileKey().equals(e.fileKey())) {
            return Optional.empty();
        }
        return Optional.of(new AuxContent.File(s.path(), s.size(), s.mode(), e.sha256(), e.chunks()));
    }

    /** Remembers the content of the file {@code s} describes, unless it was modified too shortly before {@code hashedAtNanos}. */
    void putHashed(AuxScan.Stat s, AuxContent.File content, long hashedAtNanos) {
        if (hashedAtNanos - s.modifiedNanos() < RACY_NANOS) {
            entries.remove(s.path());
        } else {
            put(s, content);
        }
    }

    /** Remembers the content of a file this node has just written (a pull): no other writer shares its clock tick. */
    void put(AuxScan.Stat s, AuxContent.File content) {
        entries.put(s.path(), new Entry(s.size(), s.modifiedNanos(), s.fileKey(), content.sha256(), content.chunks()));
    }

    void forget(String path) {
        entries.remove(path);
    }

    /** Forgets every file but those at {@code paths} (the others are gone). */
    void retain(Set<String> paths) {
        entries.keySet().retainAll(paths);
    }

    int size() {
        return entries.size();
    }

    /** Writes the index beside its name, durably, and renames it over the old one. */
    void save() throws IOException {
        PrivateFiles.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(new Stored(1, root.toString(), entries, pulled, completePull));
        try (FileChannel c = PrivateFiles.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
