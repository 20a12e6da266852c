package io.walferry.repository.storage;

import io.walferry.repository.format.PieceFrames;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The one writer of a segment's piece file (docs/repository-format.md, "Appended pieces"): it holds the file open under
 * an exclusive lock, appends each piece's frame where the frame before it ended, and makes the frames durable with one
 * fdatasync for all that were appended since the last (group commit: several pieces are stored at once). A frame at an
 * offset past the file's end waits there until the pieces before it are appended; one before the file's end is stored
 * already (the caller compares its bytes). Opening truncates a torn tail and refuses a damaged file.
 */
final class PieceFile implements AutoCloseable {
    /** How long a piece waits for the pieces before it: they are in flight at the same time, and come within a store's time. */
    private static final long WAIT_FOR_EARLIER_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    /** The file's identity (device and inode) when it was opened: a file deleted and made again since is another. */
    private final Object fileKey;
    /** Where the next frame goes in the file, and the segment offset it must start at. */
    private long position;
    private long nextOffset;
    /** The file is durable up to here. */
    private long durable;
    private boolean syncing;
    /** Set by a write or fdatasync that failed: what the file holds past {@link #durable} is unknown, nothing more is appended. */
    private IOException broken;

    private PieceFile(Path file, FileChannel channel, FileLock lock, Object fileKey, long position, long nextOffset) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.fileKey = fileKey;
        this.position = position;
        this.nextOffset = nextOffset;
        this.durable = position;
    }

    /**
     * Opens (or creates) the piece file {@code file} for appending, locked; a new file's directory entry is made durable
     * with {@code directorySync}. A torn tail is cut off; a damaged file is refused.
     */
    static PieceFile open(Path file, DirectorySyncs directorySync) throws IOException {
        boolean created = !Files.exists(file);
        FileChannel channel = PrivateFiles.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException(file + " is being written by another walferry agent (it holds the file's lock): only the primary's agent "
                        + "streams into a repository");
            }
            long size = channel.size();
            PieceFrames.Scan scan = scan(channel);
            if (scan.damage().isPresent()) {
                throw new IOException(file + " " + scan.damage().get().problem() + ": it is left as it is and nothing more is appended");
            }
            if (size > scan.validEnd()) {
                // a write that did not finish (the agent was killed): never acknowledged, so never handed over
                channel.truncate(scan.validEnd());
                channel.force(false);
            }
            if (created) {
                directorySync.sync(file.getParent());
            }
            Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            return new PieceFile(file, channel, lock, key, scan.validEnd(), Math.max(0, scan.end()));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static PieceFrames.Scan scan(FileChannel channel) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(channel.size())];
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining() && channel.read(b, b.position()) > 0) {
            // read it all
        }
        return PieceFrames.scan(bytes, b.position());
    }

    /**
     * Appends {@code frame} (a piece of {@code length} bytes at segment {@code offset}) and returns once it is durable;
     * ALREADY_EXISTS, writing nothing, when the file holds the segment from {@code offset} on already.
     */
    Storage.CommitOutcome append(long offset, int length, ByteBuffer frame) throws IOException {
        long mine;
        synchronized (this) {
            long deadline = System.nanoTime() + WAIT_FOR_EARLIER_NANOS;
            while (broken == null && nextOffset < offset) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("the piece at offset " + offset + " cannot be appended to " + file + ": it ends at offset " + nextOffset
                            + " and the pieces before it did not come");
                }
                waitHere(left);
            }
            failIfBroken();
            if (offset < nextOffset) {
                return Storage.CommitOutcome.ALREADY_EXISTS;
            }
            try {
                long at = position;
                while (frame.hasRemaining()) {
                    at += channel.write(frame, at);
                }
                position = at;
                nextOffset = offset + length;
            } catch (IOException e) {
                broken = e;
                throw e;
            } finally {
                notifyAll();
            }
            mine = position;
        }
        syncTo(mine);
        return Storage.CommitOutcome.CREATED;
    }

    /** Returns once the file is durable up to {@code end}: by an fdatasync of its own, or of another append that began after. */
    private void syncTo(long end) throws IOException {
        long upTo;
        synchronized (this) {
            while (syncing && durable < end && broken == null) {
                waitHere(Long.MAX_VALUE);
            }
            failIfBroken();
            if (durable >= end) {
                return;
            }
            syncing = true;
            upTo = position;
        }
        IOException failed = null;
        try {
            channel.force(false);
        } catch (IOException e) {
            failed = e;
            throw e;
        } finally {
            synchronized (this) {
                syncing = false;
                if (failed == null) {
                    durable = Math.max(durable, upTo);
                } else {
                    broken = failed; // after a failed fdatasync the kernel may have dropped the pages: start over from the file
                }
                notifyAll();
            }
        }
    }

    /**
     * Cuts the file after the last frame that ends at segment offset {@code end} or before: frames past a prefix that ended
     * before them, and a torn tail, which no reader handed over. A no-op when the file ends there.
     */
    synchronized void truncateAfter(long end) throws IOException {
        failIfBroken();
        PieceFrames.Scan scan = scan(channel);
        if (scan.damage().isPresent()) {
            throw new IOException(file + " " + scan.damage().get().problem() + ": it is left as it is");
        }
        long cut = scan.frames().stream().filter(f -> f.end() <= end).mapToLong(PieceFrames.Frame::next).max().orElse(0);
        if (channel.size() != cut) {
            channel.truncate(cut);
            channel.force(false);
        }
        position = cut;
        durable = cut;
        nextOffset = scan.frames().stream().filter(f -> f.end() <= end).mapToLong(PieceFrames.Frame::end).max().orElse(0);
    }

    /**
     * The file's bytes, read through the writer's own descriptor: the file's lock is a POSIX lock, which the process loses
     * when it closes any descriptor of the file, so this process never opens another one while it writes.
     */
    java.io.InputStream read() {
        return new java.io.InputStream() {
            private long at;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, len), at);
                if (n > 0) {
                    at += n;
                }
                return n;
            }
        };
    }

    /**
     * True while the file at its path is still the one this writer opened (another process may have deleted it) and its owner
     * may write it: a repository made read-only (chmod) is not written through a descriptor opened before.
     */
    boolean usable() {
        try {
            java.nio.file.attribute.PosixFileAttributes now = Files.readAttributes(file, java.nio.file.attribute.PosixFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return java.util.Objects.equals(fileKey, now.fileKey()) && now.permissions().contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        } catch (UnsupportedOperationException e) {
            return true; // no POSIX attributes, no file keys: nothing to tell
        } catch (IOException e) {
            return false;
        }
    }

    synchronized boolean isBroken() {
        return broken != null;
    }

    private void failIfBroken() throws IOException {
        if (broken != null) {
            throw new IOException("an earlier write to " + file + " failed (" + broken.getMessage() + "): it is opened again by the next stream session");
        }
    }

    private void waitHere(long nanos) throws IOException {
        try {
            TimeUnit.NANOSECONDS.timedWait(this, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while appending to " + file);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        broken = broken != null ? broken : new IOException("closed");
        notifyAll();
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
