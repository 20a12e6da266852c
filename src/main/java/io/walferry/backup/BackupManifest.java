package io.walferry.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walferry.postgres.Lsn;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * Everything a restore needs to know about one base backup, stored as the object {@code backup/<id>/manifest}
 * (docs/repository-format.md). It is written last: a backup without a manifest is incomplete and is never
 * restored or counted.
 */
public record BackupManifest(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("id") String id,
        @JsonProperty("cluster") String cluster,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_version_num") int pgVersionNum,
        @JsonProperty("timeline") int timeline,
        @JsonProperty("start_lsn") String startLsn,
        @JsonProperty("stop_lsn") String stopLsn,
        @JsonProperty("start_wal") String startWal,
        @JsonProperty("stop_wal") String stopWal,
        @JsonProperty("start_time") String startTime,
        @JsonProperty("stop_time") String stopTime,
        @JsonProperty("from_standby") boolean fromStandby,
        @JsonProperty("node") String node,
        @JsonProperty("compression") String compression,
        @JsonProperty("chunk_size") long chunkSize,
        @JsonProperty("directories") List<String> directories,
        @JsonProperty("tablespaces") List<DataDirectoryScan.Tablespace> tablespaces,
        @JsonProperty("files") List<FileEntry> files) {

    public static final int FORMAT_VERSION = 1;
    /** A backup's id is the second it started, in UTC (docs/repository-format.md). */
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One file: its size as copied and, per chunk object, the checksum its header must carry (so that a
     * valid object of another backup or file put in its place is refused).
     */
    public record FileEntry(@JsonProperty("path") String path, @JsonProperty("size") long size,
                            @JsonProperty("chunks") List<String> chunkChecksums) {
    }

    public long bytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    /** How long the backup took. */
    public Duration duration() {
        return Duration.between(Instant.parse(startTime), Instant.parse(stopTime));
    }

    public Lsn start() {
        return Lsn.parse(startLsn);
    }

    public Lsn stop() {
        return Lsn.parse(stopLsn);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The largest manifest a reader takes in (a million files take about a tenth of it). */
    public static final long MAX_JSON_SIZE = 256L << 20;

    /**
     * Parses a stored manifest and checks everything a restore takes from it ({@link ManifestCheck}); an
     * IOException says what is wrong with it.
     */
    public static BackupManifest fromJson(byte[] json) throws IOException {
        BackupManifest m;
        try {
            m = JSON.readValue(json, BackupManifest.class);
        } catch (RuntimeException e) {
            throw new ManifestCheck.InvalidManifestException("not a manifest: " + e.getMessage());
        }
        if (m == null) {
            throw new ManifestCheck.InvalidManifestException("not a manifest: empty");
        }
        ManifestCheck.check(m);
        return m;
    }

    /** True for a name that can be a backup id (and so a key below backup/). */
    public static boolean isId(String name) {
        return name != null && ManifestCheck.ID.matcher(name).matches();
    }

    /** The id of a backup that starts at {@code start}. */
    public static String idAt(Instant start) {
        return ID_TIME.format(start);
    }

    /** When the backup of this id started; empty for a name that is no backup id. */
    public static Optional<Instant> startOf(String id) {
        if (!isId(id)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.from(ID_TIME.parse(id)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

}
