package io.walferry.auxdir;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What an aux directory held when its primary's agent last found it changed, stored as the object
 * {@code aux/<name>/manifests/<id>} (docs/repository-format.md): written only once every object it names is stored,
 * so the newest manifest is always complete. It is input to a pull like any object and is checked before use
 * ({@link AuxManifestCheck}).
 */
public record AuxManifest(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("id") String id,
        @JsonProperty("cluster") String cluster,
        @JsonProperty("name") String name,
        @JsonProperty("node") String node,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("chunk_size") long chunkSize,
        @JsonProperty("directories") List<AuxContent.Directory> directories,
        @JsonProperty("files") List<AuxContent.File> files,
        @JsonProperty("links") List<AuxContent.Link> links) {

    public static final int FORMAT_VERSION = 1;
    /** The largest manifest a reader takes in (a million files take about a fifth of it). */
    public static final long MAX_JSON_SIZE = 256L << 20;
    /** Ids are the time the manifest was made, in UTC to the millisecond: they sort in time order. */
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    static final Pattern ID = Pattern.compile("\\d{8}T\\d{6}\\.\\d{3}Z");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static AuxManifest of(String id, String cluster, String name, String node, Instant createdAt, AuxContent content) {
        return new AuxManifest(FORMAT_VERSION, id, cluster, name, node, createdAt.toString(), AuxContent.CHUNK_SIZE,
                content.directories(), content.files(), content.links());
    }

    public AuxContent content() {
        return new AuxContent(directories, files, links);
    }

    public long bytes() {
        return files.stream().mapToLong(AuxContent.File::size).sum();
    }

    byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a stored manifest of aux directory {@code name} and checks everything a pull takes from it. */
    static AuxManifest fromJson(byte[] json, String name) throws AuxManifestCheck.InvalidManifestException {
        AuxManifest m;
        try {
            m = JSON.readValue(json, AuxManifest.class);
        } catch (IOException | RuntimeException e) {
            throw new AuxManifestCheck.InvalidManifestException("not a manifest: " + e.getMessage());
        }
        if (m == null) {
            throw new AuxManifestCheck.InvalidManifestException("not a manifest: empty");
        }
        AuxManifestCheck.check(m, name);
        return m;
    }

    /**
     * Parses a stored manifest of aux directory {@code name} and checks it as a pull does (verify); why it is refused is
     * the exception's message.
     */
    public static AuxManifest parse(byte[] json, String name) throws IOException {
        return fromJson(json, name);
    }

    static boolean isId(String s) {
        return s != null && ID.matcher(s).matches();
    }

    /**
     * The id of a new manifest made at {@code now}: later than {@code newest}, the newest stored, even where this
     * host's clock is behind the one that wrote it (a new primary after a failover), so that the new one wins.
     */
    static String nextId(Instant now, Optional<String> newest) {
        Instant at = now;
        if (newest.isPresent()) {
            try {
                Instant after = Instant.from(ID_TIME.parse(newest.get())).plusMillis(1);
                if (after.isAfter(at)) {
                    at = after;
                }
            } catch (DateTimeParseException e) {
                // not an id: listed names are filtered by isId, so this does not happen
            }
        }
        return ID_TIME.format(at);
    }
}
