package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.fastpath.PrefetchQueueReset;
import io.walferry.monitor.RestoreState;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.storage.AlignedOutput;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.Repository;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Restores a base backup into an empty directory, in parallel. Every chunk is decoded and verified (its own
 * checksum, and the one the manifest recorded for it) before it is renamed into place; global/pg_control is
 * written last, so that a restore that failed half way leaves a directory PostgreSQL refuses to start.
 * Then backup_label, tablespace_map, the recovery settings and the signal file.
 */
public final class BackupRestore {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRestore.class);
    private static final String PG_CONTROL = "global/pg_control";

    /** How the restored server recovers, and where its tablespaces go. */
    public record Options(int jobs, RecoveryTarget target, boolean standby, String restoreCommand, boolean force,
                          TablespacePlacement tablespaces, List<String> extraSettings) {
    }

    /** The most a backup_label can hold: a few lines. */
    private static final long MAX_LABEL = 1 << 20;

    private final Repository repository;
    private final BackupManifest manifest;
    private final Options options;
    private final BaseBackup.Progress progress;

    public BackupRestore(Repository repository, BackupManifest manifest, Options options, BaseBackup.Progress progress) {
        this.repository = repository;
        this.manifest = manifest;
        this.options = options;
        this.progress = progress;
    }

    public void run(Path target) {
        long t0 = System.nanoTime();
        Instant started = Instant.now();
        // Decided and checked before prepare(), which may empty the target (--force): a refusal changes nothing.
        Map<String, Path> tablespaces = options.tablespaces().decide(manifest, target);
        try {
            for (var t : tablespaces.entrySet()) {
                refuseNonEmpty(t.getValue(), "tablespace " + t.getKey());
            }
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot read a tablespace directory: " + e.getMessage(), "check its permissions", e);
        }
        prepare(target);
        RestoreTree tree = new RestoreTree(target, tablespaces);
        try {
            for (var t : tablespaces.entrySet()) {
                Files.createDirectories(t.getValue());
                Path link = tree.directory("pg_tblspc").resolve(t.getKey());
                Files.createSymbolicLink(link, t.getValue());
            }
            for (String dir : manifest.directories()) {
                tree.directory(dir);
            }
            List<BackupManifest.FileEntry> files = new ArrayList<>(manifest.files());
            files.removeIf(f -> f.path().equals(PG_CONTROL));
            files.sort(Comparator.comparingLong(BackupManifest.FileEntry::size).reversed());
            BackupManifest.FileEntry control = manifest.files().stream().filter(f -> f.path().equals(PG_CONTROL)).findFirst()
                    .orElseThrow(() -> WalferryException.repository("backup " + manifest.id() + " has no " + PG_CONTROL, null, null));
            ChunkPipeline pipeline = new ChunkPipeline("restore", options.jobs(), progress, manifest.bytes(),
                    e -> new WalferryException(Failure.LOCAL, "cannot write the restored files: " + e.getMessage(),
                            "check the free space and permissions of " + target, e));
            long t1 = System.nanoTime();
            restore(pipeline, tree, files);
            long t2 = System.nanoTime();
            writeText(target.resolve("backup_label"), read(RepositoryLayout.BACKUP_LABEL));
            if (!tablespaces.isEmpty()) {
                // PostgreSQL makes the pg_tblspc links from this file when recovery starts: it names the new places
                // (its reader takes a backslash as escaping the next character).
                StringBuilder map = new StringBuilder();
                tablespaces.forEach((oid, location) -> map.append(oid).append(' ').append(location.toString().replace("\\", "\\\\")).append('\n'));
                writeText(target.resolve("tablespace_map"), map.toString());
            }
            writeRecoverySettings(target);
            writeText(target.resolve(options.standby() ? "standby.signal" : "recovery.signal"), "");
            // Last: until pg_control is there, PostgreSQL does not start on this directory.
            restore(pipeline, tree, List.of(control));
            long t3 = System.nanoTime();
            fsyncTree(target);
            for (Path location : tablespaces.values()) {
                fsyncTree(location);
            }
            RestoreRecord.write(target, new RestoreState(manifest.id(), repository.name(), started, Instant.now(), manifest.bytes()));
            LOG.info("restore of {}: prepared in {} ms, {} files in {} ms, pg_control and settings {} ms, directories synced in {} ms",
                    manifest.id(), (t1 - t0) / 1_000_000, files.size(), (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
                    (System.nanoTime() - t3) / 1_000_000);
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot write " + target + ": " + e.getMessage(),
                    "check its free space and permissions", e);
        }
    }

    private void prepare(Path target) {
        try {
            if (Files.exists(target.resolve("postmaster.pid"))) {
                throw WalferryException.refused(target + " holds a postmaster.pid: a server may be running there",
                        "stop it; walferry never restores under a running server");
            }
            if (!options.force()) {
                refuseNonEmpty(target, "the target directory");
            } else if (Files.isDirectory(target)) {
                // first: a prefetcher of the previous server could otherwise refill its queue under the restore
                PrefetchQueueReset.reset(target);
                try (Stream<Path> s = Files.walk(target)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        if (!p.equals(target)) {
                            Files.delete(p);
                        }
                    }
                }
            }
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot prepare " + target + ": " + e.getMessage(),
                    "check the path and its permissions", e);
        }
    }

    private static void refuseNonEmpty(Path dir, String what) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw WalferryException.refused(what + " " + dir + " is not empty", "restore into an empty directory, or pass --force to replace its contents");
                }
            }
        }
    }

    /** Restores {@code files}, their chunks in parallel; a file not completed is removed. */
    private void restore(ChunkPipeline pipeline, RestoreTree tree, List<BackupManifest.FileEntry> files) throws IOException {
        List<RestoringFile> opened = new ArrayList<>();
        try {
            // Chunks, not files, are the unit of work: a large relation segment is restored by every job at once.
            List<ChunkPipeline.Job<Long>> jobs = new ArrayList<>();
            for (BackupManifest.FileEntry f : files) {
                RestoringFile rf = new RestoringFile(tree.file(f.path()), f);
                opened.add(rf);
                for (int i = 0; i < f.chunkChecksums().size(); i++) {
                    int chunk = i;
                    jobs.add(() -> restoreChunk(rf, chunk));
                }
            }
            pipeline.run(jobs, Long::longValue);
        } finally {
            opened.forEach(RestoringFile::discardIfUnfinished);
        }
    }

    /**
     * Decodes one chunk into its range of the file's temporary copy, verified; the file's last chunk puts the file in
     * place. The bytes it restored.
     */
    private long restoreChunk(RestoringFile rf, int index) throws IOException {
        BackupManifest.FileEntry f = rf.entry();
        String key = RepositoryLayout.backupObject(manifest.id(), RepositoryLayout.chunk(f.path(), index));
        ObjectHeader header;
        // A chunk goes to its own offset: one that came out short (the file shrank while the backup read it)
        // leaves a gap of zeros, which PostgreSQL reads as empty pages and WAL replay rewrites.
        try (AlignedOutput out = rf.output(index * manifest.chunkSize())) {
            // no more than a chunk, so that a chunk cannot write over the next one or grow the file without bound
            header = repository.get(key, out, manifest.chunkSize()).orElseThrow(() -> WalferryException.repository("backup " + manifest.id()
                    + " in repository " + repository.name() + " is missing " + key, "restore another backup; this one is damaged", null));
        }
        String expected = f.chunkChecksums().get(index);
        if (!expected.equals(header.contentChecksumText())) {
            throw WalferryException.repository("backup " + manifest.id() + " in repository " + repository.name() + ": " + key
                    + " is not the object the manifest recorded (" + header.contentChecksumText() + ", expected " + expected + ")",
                    "restore another backup; this one is damaged", null);
        }
        rf.chunkDone(index * manifest.chunkSize() + header.originalSize());
        return header.originalSize();
    }

    private String read(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (repository.get(RepositoryLayout.backupObject(manifest.id(), name), out, MAX_LABEL).isEmpty()) {
            throw WalferryException.repository("backup " + manifest.id() + " in repository " + repository.name() + " has no " + name,
                    "restore another backup; this one is damaged", null);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Replaces the recovery settings the backup's postgresql.auto.conf carried with this restore's (see RecoverySettingsFile). */
    private void writeRecoverySettings(Path target) throws IOException {
        Path auto = target.resolve("postgresql.auto.conf");
        List<String> settings = new ArrayList<>(options.target().settings(options.restoreCommand()));
        settings.addAll(options.extraSettings());
        writeText(auto, RecoverySettingsFile.rewrite(Files.exists(auto) ? Files.readString(auto) : "", manifest.id(), settings));
    }

    private static void writeText(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    private static void fsyncTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                }
            }
        }
    }
}
