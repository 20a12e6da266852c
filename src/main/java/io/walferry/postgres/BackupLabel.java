package io.walferry.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a restore needs to know from a data directory's backup_label: where replay reads first. PostgreSQL
 * reads the checkpoint record at CHECKPOINT LOCATION before anything else, on START TIMELINE; that is the
 * first segment a restored standby asks restore_command for.
 */
public record BackupLabel(Lsn checkpoint, int timeline) {
    private static final Pattern CHECKPOINT = Pattern.compile("(?m)^CHECKPOINT LOCATION: ([0-9A-F]+/[0-9A-F]+)\\s*$");
    private static final Pattern TIMELINE = Pattern.compile("(?m)^START TIMELINE: ([0-9]+)\\s*$");

    /**
     * The label of the data directory {@code dataDirectory}; empty when there is none, which once redo has
     * begun is the common case (PostgreSQL renames it away), or when it cannot be parsed.
     */
    public static Optional<BackupLabel> read(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve("backup_label");
        try {
            return parse(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Empty when the text lacks either line (a label of another format is no reason to fail a restore). */
    public static Optional<BackupLabel> parse(String text) {
        Matcher c = CHECKPOINT.matcher(text);
        Matcher t = TIMELINE.matcher(text);
        if (!c.find() || !t.find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new BackupLabel(Lsn.parse(c.group(1)), Integer.parseInt(t.group(1))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The segment holding the checkpoint record. */
    public WalFileName.Segment checkpointSegment(long segmentSize) {
        return WalFileName.Segment.of(timeline, checkpoint.segmentNumber(segmentSize), segmentSize);
    }
}
