package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.OsReason;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What of a data directory goes into a base backup, as PostgreSQL's documentation ("Making a Base Backup
 * Using the Low Level API") lists it: the contents of pg_wal, pg_replslot, pg_dynshmem, pg_notify,
 * pg_serial, pg_snapshots, pg_stat_tmp and pg_subtrans are left out (the directories are kept; pg_wal and
 * pg_tblspc also when they are symbolic links), as are postmaster.pid and .opts, pg_internal.init, temporary files
 * and the signal files. Tablespaces are followed through pg_tblspc and stored under pg_tblspc/OID/.
 */
public final class DataDirectoryScan {
    private static final Set<String> CONTENTS_LEFT_OUT = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    private static final Set<String> LINKED_DIRECTORIES = Set.of("pg_wal", "pg_tblspc");
    private static final Set<String> FILES_LEFT_OUT = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "tablespace_map.old", "standby.signal", "recovery.signal", "recovery.conf",
            "postgresql.auto.conf.tmp", "current_logfiles.tmp", "backup_manifest", "pg_internal.init",
            RestoreRecord.FILE);

    /** A file to copy: its path in the backup ('/'-separated, relative to the data directory) and where it is now. */
    public record Item(String path, Path source, long size) {
    }

    /** A tablespace: its OID (the name of its link in pg_tblspc) and the directory the link points at. */
    public record Tablespace(String oid, String location) {
    }

    public record Result(List<Item> files, List<String> directories, List<Tablespace> tablespaces) {
        public long bytes() {
            return files.stream().mapToLong(Item::size).sum();
        }
    }

    private DataDirectoryScan() {
    }

    public static Result scan(Path dataDirectory) {
        List<Item> files = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        List<Tablespace> tablespaces = new ArrayList<>();
        walk(dataDirectory, "", files, dirs);
        Path tblspc = dataDirectory.resolve("pg_tblspc");
        if (Files.isDirectory(tblspc)) {
            try (var links = Files.list(tblspc)) {
                for (Path link : links.sorted().toList()) {
                    if (Files.isSymbolicLink(link)) {
                        Path target = Files.readSymbolicLink(link);
                        Path location = link.getParent().resolve(target).normalize();
                        String oid = link.getFileName().toString();
                        tablespaces.add(new Tablespace(oid, location.toString()));
                        walk(location, "pg_tblspc/" + oid + "/", files, dirs);
                    }
                }
            } catch (IOException e) {
                throw unreadable(tblspc, e);
            }
        }
        return new Result(files, dirs, tablespaces);
    }

    private static void walk(Path root, String prefix, List<Item> files, List<String> dirs) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String rel = relative(root, dir);
                    String name = dir.getFileName().toString();
                    if (!rel.isEmpty() && name.startsWith("pgsql_tmp")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (!rel.isEmpty() || !prefix.isEmpty()) {
                        dirs.add(prefix + rel);
                    }
                    if (prefix.isEmpty() && CONTENTS_LEFT_OUT.contains(rel)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String name = file.getFileName().toString();
                    String rel = relative(root, file);
                    if (attrs.isSymbolicLink()) {
                        // pg_wal (initdb --waldir) and pg_tblspc may be links to directories elsewhere: PostgreSQL does
                        // not start without them, so they are restored as directories. Tablespace links: followed above.
                        if (prefix.isEmpty() && LINKED_DIRECTORIES.contains(rel) && Files.isDirectory(file)) {
                            dirs.add(rel);
                        }
                        return FileVisitResult.CONTINUE;
                    }
                    if (!attrs.isRegularFile() || FILES_LEFT_OUT.contains(name) || name.startsWith("pgsql_tmp")) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (prefix.isEmpty() && (rel.equals("backup_label") || rel.equals("tablespace_map"))) {
                        return FileVisitResult.CONTINUE;
                    }
                    files.add(new Item(prefix + rel, file, attrs.size()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // dropped while the backup ran: WAL replay recreates what it needs
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw unreadable(root, e);
        }
    }

    /** A file or directory the backup cannot read: most often walferry runs as another user than the server. */
    static WalferryException unreadable(Path where, IOException e) {
        Path path = where;
        String why = e.getMessage();
        if (e instanceof FileSystemException f) {
            path = f.getFile() == null ? where : Path.of(f.getFile());
            why = OsReason.of(e);
        }
        return new WalferryException(Failure.FAILED, "cannot read " + path + " of the data directory: " + why,
                "run walferry backup as the data directory's owner (the server's OS user), or let that user read it", e);
    }

    private static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

}
