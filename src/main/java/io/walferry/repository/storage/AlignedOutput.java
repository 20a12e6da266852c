package io.walferry.repository.storage;

import io.walferry.repository.format.BufferPool;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a stream into a file from a given offset on, with positional writes of up to 4 MiB from a pooled
 * buffer aligned to {@code block}, as direct I/O (O_DIRECT) requires; several of them may write different
 * ranges of one channel at once. The tail is padded to a block: the owner truncates the file to its real
 * size once every range is written. With {@code block} 1 it serves a channel opened without direct I/O.
 *
 * <p>Direct I/O is used where large amounts are written once and not read again soon: written through the page
 * cache, the same bytes cost the kernel's copy into the cache and then wait for its writeback at the fsync
 * (docs/benchmarks.md, "Backup and restore").
 */
public final class AlignedOutput extends OutputStream {
    static final int CHUNK = 4 << 20;
    /** Aligned direct buffers by block size: allocating one zeroes it, and a backup or restore writes file after file. */
    private static final ConcurrentHashMap<Integer, BufferPool<ByteBuffer>> POOLS = new ConcurrentHashMap<>();

    /**
     * Where full buffers are written, so that the next one fills (decompression, decryption) while the device
     * takes the last: a direct write is synchronous, and without this overlap a restore left a core idle.
     */
    private static final ExecutorService WRITERS = Executors.newCachedThreadPool(Thread.ofPlatform().name("direct-write-", 0).daemon().factory());

    private final FileChannel channel;
    private final int block;
    private ByteBuffer buffer;
    private long offset;
    /** The write of the previous buffer, at most one at a time per stream; null when none is under way. */
    private Future<?> pending;

    /** @param offset where the first byte goes; a multiple of {@code block} */
    public AlignedOutput(FileChannel channel, long offset, int block) {
        if (offset % block != 0) {
            throw new IllegalArgumentException("offset " + offset + " is not a multiple of the block size " + block);
        }
        this.channel = channel;
        this.block = block;
        this.offset = offset;
        this.buffer = take(block);
    }

    /**
     * Opens {@code file} with {@code options} plus O_DIRECT; empty where the filesystem refuses direct I/O
     * (tmpfs, some network and FUSE filesystems), after removing the file if this call created it.
     */
    public static Optional<FileChannel> openDirect(Path file, OpenOption... options) throws IOException {
        return openDirect(file, new FileAttribute<?>[0], options);
    }

    /** As {@link #openDirect(Path, OpenOption...)}, creating the file with {@code attributes} (its mode). */
    public static Optional<FileChannel> openDirect(Path file, FileAttribute<?>[] attributes, OpenOption... options) throws IOException {
        boolean existed = Files.exists(file);
        java.util.Set<OpenOption> all = new java.util.HashSet<>(java.util.Arrays.asList(options));
        all.add(ExtendedOpenOption.DIRECT);
        try {
            return Optional.of(FileChannel.open(file, all, attributes));
        } catch (UnsupportedOperationException e) {
            // this JDK or platform has no O_DIRECT
        } catch (FileSystemException e) {
            // EINVAL: this filesystem has no O_DIRECT. Anything else (no space, no permission) is real.
            if (e.getReason() == null || !e.getReason().contains("Invalid argument")) {
                throw e;
            }
        }
        if (!existed) {
            Files.deleteIfExists(file);
        }
        return Optional.empty();
    }

    /** The block size direct I/O needs for files in {@code directory}. */
    public static int blockSize(Path directory) throws IOException {
        return Math.max(4096, (int) Files.getFileStore(directory).getBlockSize());
    }

    /** A direct buffer of 4 MiB aligned to {@code block}, from the pool; give it back with {@link #give}. */
    static ByteBuffer take(int block) {
        return POOLS.computeIfAbsent(block, k -> new BufferPool<>(() -> ByteBuffer.allocateDirect(CHUNK + k).alignedSlice(k), 8))
                .take().clear().limit(CHUNK);
    }

    static void give(int block, ByteBuffer b) {
        POOLS.get(block).give(b);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            off += n;
            len -= n;
            if (!buffer.hasRemaining()) {
                flush(CHUNK);
            }
        }
    }

    private void flush(int length) throws IOException {
        ByteBuffer full = buffer;
        full.flip().limit(length);
        long at = offset;
        offset += length;
        awaitPending();
        buffer = take(block);
        pending = WRITERS.submit(() -> {
            try {
                long pos = at;
                while (full.hasRemaining()) {
                    pos += channel.write(full, pos);
                }
            } finally {
                give(block, full);
            }
            return null;
        });
    }

    private void awaitPending() throws IOException {
        if (pending == null) {
            return;
        }
        Future<?> p = pending;
        pending = null;
        try {
            p.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("write failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        }
    }

    /** Writes what is buffered, padded with zeros to a whole block, and waits until every write is done; the channel stays open. */
    @Override
    public void close() throws IOException {
        if (buffer == null) {
            return;
        }
        try {
            awaitPending();
            if (buffer.position() > 0) {
                int used = buffer.position();
                int padded = ((used + block - 1) / block) * block;
                while (buffer.position() < padded) {
                    buffer.put((byte) 0);
                }
                // the last buffer is written here: nothing fills meanwhile, and a hand-off to a writer thread is
                // what a small object (a streamed piece, a commit waiting for it) would mostly wait for
                buffer.flip().limit(padded);
                long pos = offset;
                while (buffer.hasRemaining()) {
                    pos += channel.write(buffer, pos);
                }
                offset += padded;
            }
        } finally {
            try {
                awaitPending();
            } finally {
                give(block, buffer);
                buffer = null;
            }
        }
    }
}
