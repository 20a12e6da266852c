package io.walferry.backup;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.PlainPath;

import java.io.IOException;
import java.time.Instant;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a manifest may say, checked before anything of it is used: a repository is input from whoever can write
 * to it. Paths are relative, normalized and inside the data directory (a tablespace's files inside
 * pg_tblspc/OID/ of a listed OID); OIDs are numbers; tablespace locations are absolute and normalized; every
 * size and count is bounded so that no offset overflows and no chunk is read past its place.
 */
final class ManifestCheck {
    /** A chunk is decoded into memory-sized pieces of a file: more than this is not a chunk walferry wrote. */
    static final long MAX_CHUNK_SIZE = 1L << 30;
    /** The largest file a restore writes (PostgreSQL's relation segments are 1 GiB unless built otherwise). */
    static final long MAX_FILE_SIZE = 1L << 40;
    static final int MAX_PATH = PlainPath.MAX_LENGTH;
    static final Pattern ID = Pattern.compile("\\d{8}T\\d{6}Z");
    private static final Pattern OID = Pattern.compile("[1-9]\\d{0,9}");
    private static final Pattern CHECKSUM = Pattern.compile("[a-z0-9-]{1,16}:[0-9a-f]{1,128}");
    /** Files the restore writes itself, after the backup's: a manifest naming them would have them replaced or stand in for them. */
    private static final Set<String> WRITTEN_BY_RESTORE = Set.of("backup_label", "tablespace_map", "recovery.signal", "standby.signal",
            "postmaster.pid");
    private static final String TEMPORARY_SUFFIX = ".walferry-restore";

    private ManifestCheck() {
    }

    /** A manifest that is not one a restore can follow safely; the message names the entry. */
    static final class InvalidManifestException extends IOException {
        InvalidManifestException(String message) {
            super(message);
        }
    }

    static void check(BackupManifest m) throws InvalidManifestException {
        if (m.formatVersion() != BackupManifest.FORMAT_VERSION) {
            throw new InvalidManifestException("manifest format version " + m.formatVersion() + " is not "
                    + BackupManifest.FORMAT_VERSION + " (written by a newer walferry?)");
        }
        if (m.id() == null || !ID.matcher(m.id()).matches()) {
            throw new InvalidManifestException("backup id " + printable(m.id()) + " is not a backup id (YYYYMMDDTHHMMSSZ)");
        }
        try {
            Lsn.parse(m.startLsn());
            Lsn.parse(m.stopLsn());
            Instant.parse(m.startTime());
            Instant.parse(m.stopTime());
            if (!(WalFileName.parse(m.startWal()) instanceof WalFileName.Segment)
                    || !(WalFileName.parse(m.stopWal()) instanceof WalFileName.Segment)) {
                throw new IllegalArgumentException("start_wal or stop_wal is not a WAL segment");
            }
        } catch (RuntimeException e) {
            throw new InvalidManifestException("start or stop (LSN, time, WAL segment) is malformed: " + e.getMessage());
        }
        if (m.chunkSize() < 1 || m.chunkSize() > MAX_CHUNK_SIZE) {
            throw new InvalidManifestException("chunk_size " + m.chunkSize() + " is not between 1 and " + MAX_CHUNK_SIZE);
        }
        if (m.directories() == null || m.tablespaces() == null || m.files() == null) {
            throw new InvalidManifestException("directories, tablespaces or files is missing");
        }
        Map<String, String> tablespaces = new HashMap<>();
        for (DataDirectoryScan.Tablespace t : m.tablespaces()) {
            if (t == null || t.oid() == null || !OID.matcher(t.oid()).matches() || Long.parseLong(t.oid()) > 0xFFFF_FFFFL) {
                throw new InvalidManifestException("tablespace OID " + printable(t == null ? null : t.oid()) + " is not an OID");
            }
            String problem = locationProblem(t.location());
            if (problem != null) {
                throw new InvalidManifestException("tablespace " + t.oid() + ": location " + printable(t.location()) + " " + problem);
            }
            if (tablespaces.put(t.oid(), t.location()) != null) {
                throw new InvalidManifestException("tablespace " + t.oid() + " is listed twice");
            }
        }
        Set<String> directories = new HashSet<>();
        for (String d : m.directories()) {
            // a tablespace's own directory is listed as "pg_tblspc/OID/" (DataDirectoryScan)
            String dir = d != null && d.endsWith("/") ? d.substring(0, d.length() - 1) : d;
            checkPath(dir, "directory", tablespaces.keySet(), true);
            directories.add(dir);
        }
        Set<String> files = new HashSet<>();
        long maxChunks = MAX_FILE_SIZE / m.chunkSize() + 1;
        for (BackupManifest.FileEntry f : m.files()) {
            if (f == null) {
                throw new InvalidManifestException("a file entry is empty");
            }
            checkPath(f.path(), "file", tablespaces.keySet(), false);
            String name = f.path().substring(f.path().lastIndexOf('/') + 1);
            if (WRITTEN_BY_RESTORE.contains(f.path()) || name.endsWith(TEMPORARY_SUFFIX)) {
                throw new InvalidManifestException("file " + f.path() + " is one the restore writes itself");
            }
            if (!files.add(f.path()) || directories.contains(f.path())) {
                throw new InvalidManifestException("file " + f.path() + " is listed twice, or also as a directory");
            }
            List<String> chunks = f.chunkChecksums();
            if (chunks == null || chunks.isEmpty() || chunks.size() > maxChunks) {
                throw new InvalidManifestException("file " + f.path() + " has " + (chunks == null ? "no" : chunks.size()) + " chunks");
            }
            if (f.size() < 0 || f.size() > chunks.size() * m.chunkSize()) {
                throw new InvalidManifestException("file " + f.path() + ": size " + f.size() + " does not fit its " + chunks.size() + " chunks");
            }
            for (String c : chunks) {
                if (c == null || !CHECKSUM.matcher(c).matches()) {
                    throw new InvalidManifestException("file " + f.path() + ": chunk checksum " + printable(c) + " is malformed");
                }
            }
        }
        for (String f : files) {
            for (int at = f.indexOf('/'); at > 0; at = f.indexOf('/', at + 1)) {
                if (files.contains(f.substring(0, at))) {
                    throw new InvalidManifestException("file " + f + " is inside file " + f.substring(0, at));
                }
            }
        }
    }

    /**
     * A path below the data directory: '/'-separated components, none empty, "." or "..", no NUL or control
     * character; below pg_tblspc only OID/..., for an OID the manifest lists (the directory pg_tblspc itself and,
     * as a directory, pg_tblspc/OID are allowed).
     */
    private static void checkPath(String path, String what, Set<String> tablespaces, boolean directory) throws InvalidManifestException {
        if (path == null || path.isEmpty() || path.length() > MAX_PATH) {
            throw new InvalidManifestException(what + " path " + printable(path) + " is empty or too long");
        }
        if (!PlainPath.plain(path)) {
            throw new InvalidManifestException(what + " path " + printable(path) + " is not a plain relative path inside the data directory");
        }
        String[] parts = path.split("/", -1);
        if (parts[0].equals("pg_tblspc")) {
            boolean listed = parts.length >= 2 && tablespaces.contains(parts[1]);
            boolean allowed = directory ? parts.length == 1 || listed : parts.length >= 3 && listed;
            if (!allowed) {
                throw new InvalidManifestException(what + " path " + printable(path) + " is not inside a tablespace the manifest lists");
            }
        }
    }

    /** Why a tablespace location cannot be used (absolute, normalized, not the root, no control characters); null if it can. */
    static String locationProblem(String location) {
        if (location == null || location.isEmpty() || location.length() > MAX_PATH || location.chars().anyMatch(PlainPath::control)) {
            return "is empty, too long or holds control characters";
        }
        Path p = Path.of(location);
        if (!p.isAbsolute() || !p.normalize().toString().equals(location) || p.getNameCount() == 0) {
            return "is not an absolute, normalized path below /";
        }
        return null;
    }

    /** A value for a message: quoted, control characters escaped, cut short. */
    static String printable(String s) {
        return PlainPath.printable(s);
    }
}
