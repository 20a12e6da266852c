package io.walferry.repository.format;

import io.walferry.repository.format.ObjectHeader.MalformedObjectException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The frames of a segment's piece file (docs/repository-format.md, "Appended pieces"): each streamed piece, encoded as a
 * piece object is, behind a 24-byte frame header (big-endian) that says where in the segment it starts and how long it
 * is: magic "WFPF", the segment offset (8 bytes), the original length (4), the encoded length (4), CRC-32C of bytes 0-19.
 */
public final class PieceFrames {
    public static final int HEADER = 24;
    private static final byte[] MAGIC = "WFPF".getBytes(StandardCharsets.US_ASCII);

    private PieceFrames() {
    }

    /**
     * A frame found in a file: {@code position} is where its header starts in the file; its encoded piece follows the
     * header, {@code encodedLength} bytes.
     */
    public record Frame(long position, long offset, int originalLength, int encodedLength) {
        /** Where the next frame starts. */
        public long next() {
            return position + HEADER + encodedLength;
        }

        /** The segment offset the next frame must start at. */
        public long end() {
            return offset + originalLength;
        }
    }

    /**
     * What a file holds: the good frames from its start, each starting where the one before ended in the segment;
     * {@code validEnd}: where in the file the last of them ends (bytes after it are a torn tail unless {@code damage} is
     * present); {@code damage}: why the first bad frame is not a torn tail (a good frame follows it, or it is itself whole
     * but in the wrong place), with the segment offset it should have started at.
     */
    public record Scan(List<Frame> frames, long validEnd, Optional<Damage> damage) {
        /** The frame that starts at segment offset {@code offset}, if a good one does. */
        public Optional<Frame> at(long offset) {
            return frames.stream().filter(f -> f.offset() == offset).findFirst();
        }

        /** The segment offset where the good frames end; -1 when there are none. */
        public long end() {
            return frames.isEmpty() ? -1 : frames.get(frames.size() - 1).end();
        }
    }

    /** A bad frame that is no torn tail: at file position {@code position}, where segment offset {@code offset} was due. */
    public record Damage(long position, long offset, String problem) {
    }

    /** The frame header of a piece of {@code originalLength} bytes starting at {@code offset}, encoded in {@code encodedLength}. */
    static void writeHeader(ByteBuffer to, long offset, int originalLength, int encodedLength) {
        int at = to.position();
        to.put(MAGIC).putLong(offset).putInt(originalLength).putInt(encodedLength);
        CRC32C crc = new CRC32C();
        crc.update(to.array(), to.arrayOffset() + at, HEADER - 4);
        to.putInt((int) crc.getValue());
    }

    /** The frame header at {@code position} of {@code file}, when a whole, intact one is there. */
    private static Optional<Frame> header(byte[] file, int length, long position) {
        if (position + HEADER > length) {
            return Optional.empty();
        }
        int p = (int) position;
        if (!Arrays.equals(file, p, p + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(file, p, HEADER);
        CRC32C crc = new CRC32C();
        crc.update(file, p, HEADER - 4);
        b.position(p + MAGIC.length);
        long offset = b.getLong();
        int original = b.getInt();
        int encoded = b.getInt();
        if (b.getInt() != (int) crc.getValue() || offset < 0 || original <= 0 || encoded < ObjectHeader.SIZE) {
            return Optional.empty();
        }
        return Optional.of(new Frame(position, offset, original, encoded));
    }

    /** The frame at {@code position}, when it is whole and its encoded piece passes its header's checks (without decoding it). */
    private static Optional<Frame> good(byte[] file, int length, long position) {
        Optional<Frame> f = header(file, length, position);
        if (f.isEmpty() || f.get().next() > length) {
            return Optional.empty();
        }
        try {
            ObjectHeader h = ObjectCodec.checkStored(new ByteArrayInputStream(file, (int) position + HEADER, f.get().encodedLength()));
            if (h.payloadSize() + ObjectHeader.SIZE != f.get().encodedLength() || (h.sizeKnown() && h.originalSize() != f.get().originalLength())) {
                return Optional.empty();
            }
        } catch (IOException | MalformedObjectException e) {
            return Optional.empty();
        }
        return f;
    }

    /**
     * Reads the frames of the first {@code length} bytes of a piece file. A bad frame that nothing good follows is a torn
     * tail (a write that did not finish: never acknowledged, never handed over); one that a good frame follows, or a good
     * frame in the wrong place, is damage.
     */
    public static Scan scan(byte[] file, int length) {
        List<Frame> frames = new ArrayList<>();
        long position = 0;
        while (position < length) {
            Optional<Frame> f = good(file, length, position);
            long due = frames.isEmpty() ? (f.isPresent() ? f.get().offset() : 0) : frames.get(frames.size() - 1).end();
            if (f.isPresent() && f.get().offset() != due) {
                return new Scan(frames, position, Optional.of(new Damage(position, due, "holds a frame for segment offset " + f.get().offset()
                        + " at byte " + position + " of the file, where offset " + due + " was due")));
            }
            if (f.isEmpty()) {
                for (long q = position + 1; q + HEADER <= length; q++) {
                    if (file[(int) q] == MAGIC[0] && good(file, length, q).isPresent()) {
                        return new Scan(frames, position, Optional.of(new Damage(position, due, "has a damaged frame at byte " + position
                                + " of the file (segment offset " + due + ") with good frames after it")));
                    }
                }
                return new Scan(frames, position, Optional.empty());
            }
            frames.add(f.get());
            position = f.get().next();
        }
        return new Scan(frames, position, Optional.empty());
    }

    /** Collects an encoded piece in memory behind room for its frame header: {@link #frame} once it is finished. */
    public static final class Sink implements ObjectSink {
        private byte[] bytes;
        private int size = HEADER + ObjectHeader.SIZE;

        public Sink(int expected) {
            bytes = new byte[HEADER + ObjectHeader.SIZE + expected + 64];
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (size + len > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + len));
            }
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        @Override
        public void finish(ByteBuffer header) {
            ByteBuffer h = header.duplicate();
            h.get(bytes, HEADER, ObjectHeader.SIZE);
        }

        /** The whole frame: its header (for a piece of {@code originalLength} bytes at segment {@code offset}) and the encoded piece. */
        public ByteBuffer frame(long offset, int originalLength) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, size);
            writeHeader(b, offset, originalLength, size - HEADER);
            return b.position(0).limit(size);
        }
    }
}
