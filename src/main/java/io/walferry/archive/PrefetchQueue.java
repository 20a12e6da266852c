package io.walferry.archive;

import io.walferry.postgres.WalFileName;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The segments fetched ahead of replay for one data directory, in its {@code pg_wal/walferry-prefetch/}: each
 * file there is complete and verified (written under a temporary name, checked, renamed), so handing one over
 * is a move. restore_command takes them without a JVM, often without the launcher (docs/agent-protocol.md);
 * {@code .from} tells the prefetcher where replay now is.
 *
 * <p>Inside pg_wal because that is the one place both safe and fast for the hand-over: only the server's
 * user can write there (the data directory is private), so a file found there needs no ownership check that
 * a shell one-liner could not make; and it is the file system of {@code %p} (pg_wal/RECOVERYXLOG), so the
 * hand-over is a rename, never a 16 MiB copy (a /tmp on tmpfs would make it one). PostgreSQL ignores
 * directories in pg_wal, and base backups (pg_basebackup, pgBackRest, walferry) leave pg_wal's contents out.
 */
public final class PrefetchQueue {
    /** The queue's directory, relative to the data directory (restore_command runs there). */
    public static final String DIRECTORY = "pg_wal/walferry-prefetch";
    private static final String FROM = ".from";
    /** Appended by the launcher: each segment it handed over, a line each; the last one is where replay is. */
    private static final String TAKEN = ".taken";
    /** .taken is started afresh beyond this size; an append that lands in the old file is read from there once. */
    private static final long TAKEN_ROTATE = 64 << 10;
    private final Path dir;
    private long takenOffset;
    private String lastTaken;

    public PrefetchQueue(Path dir) {
        this.dir = dir;
    }

    /** The queue of the server in {@code dataDirectory}. */
    public static PrefetchQueue of(Path dataDirectory) {
        return new PrefetchQueue(directoryOf(dataDirectory));
    }

    public static Path directoryOf(Path dataDirectory) {
        return dataDirectory.resolve(DIRECTORY);
    }

    public Path dir() {
        return dir;
    }

    /** Creates the directory, owner-only: the launcher trusts only files its user owns there. */
    public void prepare() throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** Moves a queued segment to {@code target}; false if it is not queued. */
    public boolean take(WalFileName name, Path target) throws IOException {
        Path queued = dir.resolve(name.fileName());
        if (!Files.isRegularFile(queued)) {
            return false;
        }
        try {
            Files.move(queued, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // another file system: copy beside the target, then rename, so that the target is never partial
            Path temp = target.resolveSibling("." + target.getFileName() + ".walferry-prefetch");
            Files.copy(queued, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(queued);
        }
        return true;
    }

    /** Segment names queued now, in order. */
    public List<String> queued() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "[0-9A-F]*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.length() == 24) {
                    out.add(n);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Replay asked for {@code requested}, which was not queued: whatever is queued before it, or on another
     * timeline, will not be asked for; the prefetcher is told to go on from the segment after it.
     */
    public void restartAfter(WalFileName.Segment requested, long segmentSize) throws IOException {
        startAt(requested.next(segmentSize));
    }

    /** Tells the prefetcher to go on from {@code first}; what is queued before it, or on another timeline, goes. */
    public void startAt(WalFileName.Segment first) throws IOException {
        for (String n : queued()) {
            if (n.compareTo(first.fileName()) < 0 || !n.startsWith(first.fileName().substring(0, 8))) {
                Files.deleteIfExists(dir.resolve(n));
            }
        }
        AtomicFile.write(dir.resolve(FROM), first.fileName() + "\n");
    }

    /**
     * The last segment the launcher handed over, if any since this queue was opened: replay has read past
     * everything before it. Reads only what was appended since the last call.
     */
    public Optional<String> lastTaken() throws IOException {
        Path taken = dir.resolve(TAKEN);
        readTaken(taken);
        if (takenOffset > TAKEN_ROTATE) {
            Path old = dir.resolve(TAKEN + ".old");
            try {
                Files.move(taken, old, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                readTaken(old);
            } finally {
                takenOffset = 0;
            }
        }
        return Optional.ofNullable(lastTaken);
    }

    private void readTaken(Path file) throws IOException {
        byte[] added;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            if (ch.size() <= takenOffset) {
                return;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) (ch.size() - takenOffset));
            while (b.hasRemaining() && ch.read(b, takenOffset + b.position()) > 0) {
                // positional reads until what was there is read
            }
            added = java.util.Arrays.copyOf(b.array(), b.position());
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        // Only whole lines: an append may be under way.
        int end = added.length;
        while (end > 0 && added[end - 1] != '\n') {
            end--;
        }
        takenOffset += end;
        String[] lines = new String(added, 0, end, java.nio.charset.StandardCharsets.US_ASCII).split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].length() == 24) {
                lastTaken = lines[i];
                return;
            }
        }
    }

    /** Deletes every queued segment. */
    public void removeQueued() throws IOException {
        for (String n : queued()) {
            Files.deleteIfExists(dir.resolve(n));
        }
    }

    /**
     * Clears what an earlier prefetcher left: the record of hand-overs and misses, and the temporary files of
     * fetches that were killed (nothing else removes them from pg_wal's volume). For whoever starts a
     * prefetcher, holding the queue's lock, before anything is fetched: what is taken from then on, even before
     * the new prefetcher's JVM is up, is this run's record.
     */
    public void startAfresh() throws IOException {
        Files.deleteIfExists(dir.resolve(TAKEN));
        Files.deleteIfExists(dir.resolve(TAKEN + ".old"));
        Files.deleteIfExists(dir.resolve(Prefetcher.MISSING));
        removeTemporaryFiles();
    }

    /** Deletes the temporary files of fetches into the queue (ArchiveGetter's hidden names): only while none runs. */
    public void removeTemporaryFiles() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.walferry-*.tmp")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Deletes what is queued up to and including {@code replayed}, on its timeline: it will not be asked for. */
    public void dropUpTo(String replayed) throws IOException {
        for (String n : queued()) {
            if (n.compareTo(replayed) <= 0 && n.startsWith(replayed.substring(0, 8))) {
                Files.deleteIfExists(dir.resolve(n));
            }
        }
    }

    /** Where the prefetcher should be, if archive-get said. */
    public Optional<String> from() throws IOException {
        Path f = dir.resolve(FROM);
        return Files.exists(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
    }
}
