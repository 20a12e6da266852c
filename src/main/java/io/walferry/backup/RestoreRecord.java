package io.walferry.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.monitor.RestoreState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;

/**
 * The restore that made a data directory, recorded in it ({@value #FILE}) once its files are all written and synced:
 * the agent of the node reports it ({@code walferry_restore_*}). Backups leave the file out (it describes this data
 * directory, not the ones restored from a backup of it).
 */
public final class RestoreRecord {
    public static final String FILE = "walferry_restore.json";
    private static final Logger LOG = LoggerFactory.getLogger(RestoreRecord.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private record Stored(@JsonProperty("version") int version, @JsonProperty("backup") String backup,
                          @JsonProperty("repository") String repository, @JsonProperty("start") String start,
                          @JsonProperty("stop") String stop, @JsonProperty("bytes") long bytes) {
    }

    private RestoreRecord() {
    }

    /** Records {@code restore} in {@code dataDirectory}, durably: written beside its name, synced, renamed over it. */
    static void write(Path dataDirectory, RestoreState restore) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(new Stored(1, restore.backup(), restore.repository(), restore.start().toString(),
                restore.stop().toString(), restore.bytes()));
        Path temp = dataDirectory.resolve("." + FILE + ".tmp");
        Files.write(temp, bytes);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(temp, dataDirectory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(dataDirectory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** The restore recorded in {@code dataDirectory}; empty when none is (or the record cannot be read, said in the log). */
    public static Optional<RestoreState> read(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE);
        try {
            Stored s = JSON.readValue(Files.readAllBytes(file), Stored.class);
            return Optional.of(new RestoreState(s.backup(), s.repository(), Instant.parse(s.start()), Instant.parse(s.stop()), s.bytes()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }
}
