package io.walferry.repository;

import io.walferry.postgres.WalFileName;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where everything of one cluster lies in a repository, as docs/repository-format.md lays it out: the one place
 * that spells a key. Keys are relative to the cluster's directory ({@link ClusterStorage} puts the cluster in
 * front), '/'-separated:
 * <pre>
 *   cluster.json                      the registration
 *   wal/&lt;group&gt;/&lt;file name&gt;            a WAL file; its group is {@link WalFileName#group()}
 *   backup/&lt;id&gt;/manifest               a base backup: its manifest (written last),
 *   backup/&lt;id&gt;/backup_label           its label and tablespace map,
 *   backup/&lt;id&gt;/tablespace_map
 *   backup/&lt;id&gt;/data/&lt;path&gt;[@n]        and a file's chunks ("@n" for the chunks after the first)
 *   verify/&lt;name&gt;                     what a verify run found
 *   stream/&lt;segment&gt;/&lt;offset&gt;         a piece of a segment streamed before it was complete (8 hex digits: its first byte)
 *   stream/&lt;segment&gt;/pieces           or, in a filesystem repository, all of them appended to one file as frames
 *   aux/&lt;name&gt;/objects/&lt;address&gt;      a chunk of a file of aux directory &lt;name&gt;, by its content
 *   aux/&lt;name&gt;/manifests/&lt;id&gt;         what the directory held at a time (the newest complete one wins)
 * </pre>
 */
public final class RepositoryLayout {
    /** The registration of the cluster. */
    static final String REGISTRATION = "cluster.json";
    /** The WAL archive: a directory per group. */
    static final String WAL = "wal";
    /** The base backups: a directory per backup id. */
    public static final String BACKUPS = "backup";
    /** The records of verify runs. */
    public static final String VERIFY_RECORDS = "verify";

    /** The pieces of segments streamed before they were complete: a directory per segment. */
    static final String STREAM = "stream";
    private static final Pattern PIECE = Pattern.compile("[0-9A-F]{8}");
    /** The auxiliary directories (aux_directories): a directory per name. */
    public static final String AUX = "aux";

    /** A backup's objects by their names below its directory; its files' chunks are {@link #chunk}. */
    public static final String MANIFEST = "manifest";
    public static final String BACKUP_LABEL = "backup_label";
    public static final String TABLESPACE_MAP = "tablespace_map";
    private static final String DATA = "data/";

    private static final Pattern SEGMENT_GROUP = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})");

    private RepositoryLayout() {
    }

    /** The key of a WAL file. */
    public static String wal(WalFileName file) {
        return walGroup(file.group()) + "/" + file.fileName();
    }

    /** The directory key of a WAL group. */
    static String walGroup(String group) {
        return WAL + "/" + group;
    }

    /** The directory key of the streamed pieces of {@code segment}. */
    static String streamSegment(WalFileName.Segment segment) {
        return STREAM + "/" + segment.fileName();
    }

    /** The key of the streamed piece of {@code segment} that starts at byte {@code offset} of it. */
    static String streamPiece(WalFileName.Segment segment, long offset) {
        if (offset < 0 || offset > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("offset out of range: " + offset);
        }
        return streamSegment(segment) + "/" + "%08X".formatted(offset);
    }

    /** The name, below its segment's directory, of the file a filesystem repository appends the segment's pieces to. */
    static final String PIECE_FILE = "pieces";

    /** The key of the file a filesystem repository appends the streamed pieces of {@code segment} to. */
    static String streamPieceFile(WalFileName.Segment segment) {
        return streamSegment(segment) + "/" + PIECE_FILE;
    }

    /** The offset a piece's name below its segment's directory gives; empty for a name walferry does not write. */
    static Optional<Long> pieceOffset(String name) {
        return PIECE.matcher(name).matches() ? Optional.of(Long.parseLong(name, 16)) : Optional.empty();
    }

    /** The directory key of backup {@code id}. */
    public static String backup(String id) {
        return BACKUPS + "/" + id;
    }

    /** The key of backup {@code id}'s object {@code name} (a name below the backup's directory). */
    public static String backupObject(String id, String name) {
        return backup(id) + "/" + name;
    }

    /** The name below its backup's directory of chunk {@code chunk} of the file at {@code path} in the data directory. */
    public static String chunk(String path, int chunk) {
        return DATA + (chunk == 0 ? path : path + "@" + chunk);
    }

    /** The key of the verify record {@code name}. */
    public static String verifyRecord(String name) {
        return VERIFY_RECORDS + "/" + name;
    }

    /** The directory key of aux directory {@code name}'s content-addressed objects. */
    public static String auxObjects(String name) {
        return AUX + "/" + name + "/objects";
    }

    /** The key of aux directory {@code name}'s object at {@code address} (a content address, 64 hex digits). */
    public static String auxObject(String name, String address) {
        return auxObjects(name) + "/" + address;
    }

    /** The directory key of aux directory {@code name}'s manifests. */
    public static String auxManifests(String name) {
        return AUX + "/" + name + "/manifests";
    }

    /** The key of aux directory {@code name}'s manifest {@code id}. */
    public static String auxManifest(String name, String id) {
        return auxManifests(name) + "/" + id;
    }

    /** An object of a backup: the backup's id, and the object's name below the backup's directory. */
    public record BackupObject(String id, String name) {
        /** The backup object {@code key} is the key of; empty for a key outside a backup's directory. */
        public static Optional<BackupObject> of(String key) {
            String[] parts = key.split("/", 3);
            if (parts.length < 3 || !parts[0].equals(BACKUPS) || parts[1].isEmpty() || parts[2].isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new BackupObject(parts[1], parts[2]));
        }

        public String key() {
            return backupObject(id, name);
        }
    }

    /**
     * A WAL group that holds segments: those of one timeline and one log file (the first and second 8 hex digits of
     * their names). Uppercase hex of fixed width, so the names compare as the numbers do.
     */
    record SegmentGroup(String timelineHex, String logFile) {
        /** The segment group a directory below {@link #WAL} is; empty for the history files' group or a name walferry does not write. */
        static Optional<SegmentGroup> of(String directoryName) {
            Matcher m = SEGMENT_GROUP.matcher(directoryName);
            return m.matches() ? Optional.of(new SegmentGroup(m.group(1), m.group(2))) : Optional.empty();
        }

        /** The timeline, as PostgreSQL numbers it (unsigned 32 bits). */
        long timeline() {
            return Long.parseLong(timelineHex, 16);
        }

        /** The group's directory name. */
        String name() {
            return timelineHex + logFile;
        }
    }
}
