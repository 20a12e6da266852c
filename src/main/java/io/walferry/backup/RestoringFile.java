package io.walferry.backup;

import io.walferry.repository.storage.AlignedOutput;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * One file being restored: a temporary copy beside its final name, written by its chunks in any order and
 * at once, with direct I/O where the filesystem allows it. The chunk that completes the file truncates it to
 * its size (direct writes pad the tail to a block), fsyncs it and renames it into place; a file that was not
 * completed is removed.
 */
final class RestoringFile {
    private final BackupManifest.FileEntry entry;
    private final Path dest;
    private final Path temp;
    private final Object lock = new Object();
    private FileChannel channel;
    private int block;
    private int chunksLeft;
    private long size;
    private boolean finished;

    /** @param dest where the file goes, in a directory that exists ({@link RestoreTree#file}) */
    RestoringFile(Path dest, BackupManifest.FileEntry entry) {
        this.entry = entry;
        this.dest = dest;
        this.temp = dest.resolveSibling("." + dest.getFileName() + ".walferry-restore");
        this.chunksLeft = entry.chunkChecksums().size();
    }

    BackupManifest.FileEntry entry() {
        return entry;
    }

    /** A stream that writes from {@code offset} on; the file is created by the first chunk that starts. */
    AlignedOutput output(long offset) throws IOException {
        synchronized (lock) {
            if (channel == null) {
                // A new file, never one found there: whatever stands at that name (a link) is not written through.
                Optional<FileChannel> direct = AlignedOutput.openDirect(temp, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                if (direct.isPresent()) {
                    channel = direct.get();
                    block = AlignedOutput.blockSize(dest.getParent());
                } else {
                    channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                    block = 1;
                }
            }
            return new AlignedOutput(channel, offset, block);
        }
    }

    /** Counts a verified chunk that ends at {@code end}; the last one puts the file in place. */
    void chunkDone(long end) throws IOException {
        synchronized (lock) {
            size = Math.max(size, end);
            if (--chunksLeft > 0) {
                return;
            }
            if (channel == null) {
                output(0).close(); // a file of no chunks at all: created empty
            }
            channel.truncate(size);
            channel.force(true);
            channel.close();
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            finished = true;
        }
    }

    /** Removes the temporary copy of a file that was not completed (a failed or interrupted restore). */
    void discardIfUnfinished() {
        synchronized (lock) {
            if (finished) {
                return;
            }
            try {
                if (channel != null) {
                    channel.close();
                }
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // the restore has failed already; a leftover temporary file does not make it startable
            }
        }
    }
}
