package io.walferry.repository.storage;

import io.walferry.repository.format.ObjectSink;
import io.walferry.repository.format.BulkInputStream;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes one object into a local file: the payload as it comes, then the header at offset 0, then fsync.
 *
 * <p>With direct I/O (O_DIRECT) the bytes go from an aligned buffer to the device without passing through
 * the page cache. An archive is written once and read rarely, so caching it only costs the kernel
 * allocation, copying and writeback, the largest cost of a push (docs/benchmarks.md, "WAL archive to a
 * filesystem repository"). Direct
 * I/O needs block-aligned writes: the first block is held back until the header is known, the tail is
 * padded to a block and the file truncated to its exact size. The read-back then comes from the device,
 * which checks what is really stored rather than a cached copy. Where the filesystem refuses O_DIRECT
 * (tmpfs, some network and FUSE filesystems) the buffered mode does the same job through the page cache.
 */
abstract sealed class FileObjectWriter implements ObjectSink permits FileObjectWriter.Direct, FileObjectWriter.Buffered {
    private static final int CHUNK = AlignedOutput.CHUNK;
    protected final Path file;
    protected final FileChannel channel;
    protected final int headerSize;
    /** Where the payload goes, from {@code payloadOffset} on. */
    protected final AlignedOutput payloadOut;

    private FileObjectWriter(Path file, FileChannel channel, int headerSize, long payloadOffset, int block) {
        this.file = file;
        this.channel = channel;
        this.headerSize = headerSize;
        this.payloadOut = new AlignedOutput(channel, payloadOffset, block);
    }

    /**
     * Opens {@code file} (which must not exist, and is made owner-only) for direct I/O if the filesystem allows it, else
     * buffered; {@code block} is the direct I/O block size of its directory.
     */
    static FileObjectWriter create(Path file, int headerSize, boolean tryDirect, int block) throws IOException {
        if (tryDirect) {
            java.util.Optional<FileChannel> ch = AlignedOutput.openDirect(file, new java.nio.file.attribute.FileAttribute<?>[]{PrivateFiles.FILE},
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            if (ch.isPresent()) {
                return new Direct(file, ch.get(), headerSize, block);
            }
        }
        FileChannel ch = PrivateFiles.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        return new Buffered(file, ch, headerSize);
    }

    abstract boolean direct();

    abstract InputStream readBack() throws IOException;

    void close() throws IOException {
        try {
            payloadOut.close();
        } finally {
            channel.close();
        }
    }

    static final class Direct extends FileObjectWriter {
        private final int block;
        private final int firstSize;
        private final ByteBuffer first;
        private long payload;

        Direct(Path file, FileChannel channel, int headerSize, int block) {
            super(file, channel, headerSize, firstBlockSize(headerSize, block), block);
            this.block = block;
            this.firstSize = firstBlockSize(headerSize, block);
            // An aligned slice may be larger than asked for; every use below sets its limit explicitly.
            this.first = ByteBuffer.allocateDirect(firstSize + block).alignedSlice(block).limit(firstSize).position(headerSize);
        }

        /** The header's block(s): held back until the header is known, with the payload's first bytes. */
        private static int firstBlockSize(int headerSize, int block) {
            return Math.max(block, ((headerSize + block - 1) / block) * block);
        }

        @Override
        boolean direct() {
            return true;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            payload += len;
            if (first.hasRemaining()) {
                int n = Math.min(len, first.remaining());
                first.put(b, off, n);
                off += n;
                len -= n;
            }
            if (len > 0) {
                payloadOut.write(b, off, len);
            }
        }

        @Override
        public void finish(ByteBuffer header) throws IOException {
            payloadOut.close();
            first.put(0, header, header.position(), headerSize);
            first.limit(firstSize).position(0);
            while (first.hasRemaining()) {
                channel.write(first, first.position());
            }
            channel.truncate(headerSize + payload);
            channel.force(true);
        }

        @Override
        InputStream readBack() throws IOException {
            FileChannel in = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            return new AlignedInput(in, block);
        }
    }

    static final class Buffered extends FileObjectWriter {
        Buffered(Path file, FileChannel channel, int headerSize) {
            super(file, channel, headerSize, headerSize, 1);
        }

        @Override
        boolean direct() {
            return false;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            payloadOut.write(b, off, len);
        }

        @Override
        public void finish(ByteBuffer header) throws IOException {
            payloadOut.close();
            ByteBuffer h = header.duplicate();
            long pos = 0;
            while (h.hasRemaining()) {
                pos += channel.write(h, pos);
            }
            channel.force(true);
        }

        @Override
        InputStream readBack() throws IOException {
            return Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ));
        }
    }

    /** Sequential reads through an aligned buffer, as O_DIRECT requires. */
    private static final class AlignedInput extends BulkInputStream {
        private final FileChannel channel;
        private ByteBuffer buffer;
        private final int block;
        private long offset;
        private boolean eof;

        AlignedInput(FileChannel channel, int block) {
            this.channel = channel;
            this.block = block;
            this.buffer = AlignedOutput.take(block);
            this.buffer.position(buffer.limit());
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!buffer.hasRemaining()) {
                if (eof) {
                    return -1;
                }
                buffer.clear().limit(CHUNK);
                int n = 0;
                while (buffer.hasRemaining()) {
                    int r = channel.read(buffer, offset + buffer.position());
                    if (r <= 0) {
                        eof = true;
                        break;
                    }
                    n += r;
                    // Direct reads must start on a block: a read that ends inside one has reached the end.
                    if (buffer.position() % block != 0) {
                        eof = true;
                        break;
                    }
                }
                offset += n;
                buffer.flip();
                if (n == 0) {
                    return -1;
                }
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                if (buffer != null) {
                    AlignedOutput.give(block, buffer);
                    buffer = null;
                }
            }
        }
    }
}
