package io.walferry.fastpath;

import io.walferry.postgres.WalFileName;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The segments fetched ahead of replay for one data directory, in its {@value #DIRECTORY}, and the records
 * around them (docs/agent-protocol.md, "Prefetch for replay"). What is in it, and who writes it:
 *
 * <ul>
 *   <li>{@code <segment>} (24 hex digits): complete and verified, by the prefetcher (fetched under a temporary
 *       name of ArchiveGetter's, checked, flushed, renamed). Handed over to PostgreSQL with a move, by the shell of
 *       restore_command, the launcher ({@code wf_fast_archive_get}) or archive-get's JVM ({@link #take}).</li>
 *   <li>{@value #FROM}: where replay is, so where the prefetcher goes on; written by archive-get's JVM
 *       ({@link #startAt}), read by the prefetcher and by the launcher, which waits only for segments from there
 *       on, on that timeline.</li>
 *   <li>{@value #TAKEN} (and {@value #TAKEN_OLD} once rotated): each segment handed over from the queue, a line each,
 *       appended by restore_command's shell and the launcher; the prefetcher reads the last line as where replay is
 *       ({@link #lastTaken}), and so does the launcher on a miss ({@code wf_last_taken}).</li>
 *   <li>{@value #MISSING}: the segment the prefetcher last found missing or unreadable; written by the prefetcher,
 *       read by the launcher, which then stops waiting for it.</li>
 *   <li>{@value #PID}: the running prefetcher's pid, written by whoever starts it (archive-get's JVM, the launcher)
 *       and again by the prefetcher, removed when it exits; the launcher waits only while it names a live
 *       {@code archive-prefetch} (see {@link PrefetcherProcess}).</li>
 *   <li>{@value #LOCK}: held by the running prefetcher, and briefly by whoever checks that none runs before it
 *       starts one.</li>
 *   <li>{@value PrefetchQuestion#ASK}, {@value PrefetchQuestion#ANSWER}, {@value PrefetchQuestion#ANSWERED}: the
 *       launcher's question to the prefetcher ({@link PrefetchQuestion}).</li>
 *   <li>{@value #LOG}: the prefetcher's log, appended by the process that starts it.</li>
 * </ul>
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
    public static final String FROM = ".from";
    public static final String TAKEN = ".taken";
    public static final String TAKEN_OLD = ".taken.old";
    public static final String MISSING = ".missing";
    public static final String PID = ".pid";
    public static final String LOCK = ".lock";
    public static final String LOG = "prefetch.log";
    /**
     * The hand-over in restore_command's own shell, for PostgreSQL's %f and %p, run in the data directory: a queued
     * segment is moved to %p and recorded in .taken, as the launcher would; false (and nothing done) if none is queued.
     */
    public static final String SHELL_HAND_OVER = "test -f " + DIRECTORY + "/%f && mv -f " + DIRECTORY + "/%f \"%p\" && echo %f >>"
            + DIRECTORY + "/" + TAKEN;
    /** The temporary names of fetches into the queue (ArchiveGetter's: ".NAME.walferry-PID-RANDOM.tmp"). */
    static final String TEMPORARY_FILES = ".*.walferry-*.tmp";
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

    /** Where a fetch of {@code segment} into the queue lands. */
    public Path pathOf(WalFileName.Segment segment) {
        return dir.resolve(segment.fileName());
    }

    public Path log() {
        return dir.resolve(LOG);
    }

    /**
     * Creates the directory, owner-only (the launcher trusts only files its user owns there); one the launcher
     * made ({@code mkdir -m 700}) is taken as it is.
     */
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

    /** Where the prefetcher should be, if archive-get said. */
    public Optional<String> from() throws IOException {
        try {
            return Optional.of(Files.readString(dir.resolve(FROM)).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The last segment the launcher handed over, if any since this queue was opened: replay has read past
     * everything before it. Reads only what was appended since the last call.
     */
    public Optional<String> lastTaken() throws IOException {
        Path taken = dir.resolve(TAKEN);
        readTaken(taken);
        if (takenOffset > TAKEN_ROTATE) {
            Path old = dir.resolve(TAKEN_OLD);
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
        try (FileChannel ch = FileChannel.open(file)) {
            if (ch.size() <= takenOffset) {
                return;
            }
            ByteBuffer b = ByteBuffer.allocate((int) (ch.size() - takenOffset));
            while (b.hasRemaining() && ch.read(b, takenOffset + b.position()) > 0) {
                // positional reads until what was there is read
            }
            added = Arrays.copyOf(b.array(), b.position());
        } catch (NoSuchFileException e) {
            return;
        }
        // Only whole lines: an append may be under way.
        int end = added.length;
        while (end > 0 && added[end - 1] != '\n') {
            end--;
        }
        takenOffset += end;
        String[] lines = new String(added, 0, end, StandardCharsets.US_ASCII).split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].length() == 24) {
                lastTaken = lines[i];
                return;
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

    /** Deletes every queued segment. */
    public void removeQueued() throws IOException {
        for (String n : queued()) {
            Files.deleteIfExists(dir.resolve(n));
        }
    }

    /** The prefetcher found {@code segment} missing or unreadable: a launcher waiting for it stops waiting. */
    public void markMissing(String segment) throws IOException {
        AtomicFile.write(dir.resolve(MISSING), segment + "\n");
    }

    /** The segment marked missing was found after all. */
    public void clearMissing() throws IOException {
        Files.deleteIfExists(dir.resolve(MISSING));
    }

    /** The segment the prefetcher last marked missing, if it marked one. */
    public Optional<String> missing() throws IOException {
        try {
            return Optional.of(Files.readString(dir.resolve(MISSING)).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
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
        Files.deleteIfExists(dir.resolve(TAKEN_OLD));
        Files.deleteIfExists(dir.resolve(MISSING));
        removeTemporaryFiles();
    }

    /** Deletes the temporary files of fetches into the queue: only while none runs. */
    public void removeTemporaryFiles() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, TEMPORARY_FILES)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Says which process is (or is being started as) this queue's prefetcher. */
    public void writePid(long pid) throws IOException {
        AtomicFile.write(dir.resolve(PID), pid + "\n");
    }

    /** The prefetcher exits. */
    public void removePid() throws IOException {
        Files.deleteIfExists(dir.resolve(PID));
    }

    /** The pid {@value #PID} names, if it holds one. */
    public OptionalLong pid() throws IOException {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(dir.resolve(PID)).strip()));
        } catch (NoSuchFileException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Takes {@value #LOCK}, which the queue's one prefetcher holds while it runs; null if another process, or
     * another holder in this one, holds it (try-with-resources skips a null resource).
     */
    public Lock tryLock() throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException heldHere) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            return new Lock(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The queue's lock, held until closed. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;

        private Lock(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            channel.close(); // releases the lock
        }
    }
}
