package io.walferry.repository.storage;

import io.walferry.repository.format.ObjectSink;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a repository's bytes live. Every driver gives the same guarantees: a new object becomes visible
 * whole or not at all, an existing object is never replaced, and what is committed is durable. Keys are
 * '/'-separated relative paths.
 */
public interface Storage {
    /** A description that is safe to print (no credentials). */
    String describe();

    /**
     * True for object storage reached over the network: every call is a round trip, and its location
     * cannot be silently replaced by an empty directory the way an unmounted share can.
     */
    default boolean remote() {
        return false;
    }

    /**
     * Starts writing a new object whose first {@code headerSize} bytes are given last, by
     * {@link ObjectSink#finish}; nothing is visible at {@code key} until {@link PendingObject#commitIfAbsent()}.
     */
    default PendingObject create(String key, int headerSize) throws IOException {
        return create(key, headerSize, ReadBack.DEVICE);
    }

    /** As {@link #create(String, int)}, with the read-back check {@code readBack} asks for. */
    PendingObject create(String key, int headerSize, ReadBack readBack) throws IOException;

    /**
     * Where a new object's read-back check reads it from. WAL is checked on the device, bypassing the cache
     * where the filesystem allows. A backup writes gigabytes in one burst: a device read-back shares the
     * device's bandwidth with the writes and slows them (docs/benchmarks.md, "Backup and restore"), so its
     * chunks are checked as the filesystem returns them after the fsync, and the device copy is left to a later verify. Object storage checks both
     * the same way (the server echoes the body's checksum).
     */
    enum ReadBack { DEVICE, FILESYSTEM }

    /** The object's bytes, or empty if there is no object at {@code key}. */
    Optional<InputStream> open(String key) throws IOException;

    boolean exists(String key) throws IOException;

    /** The entries directly under a directory key ("" for the root); no temporary objects. */
    List<Entry> list(String directoryKey) throws IOException;

    void delete(String key) throws IOException;

    /** Deletes the objects {@code keys}, as {@link #delete} each; a driver may make the deletions durable together. */
    default void deleteAll(List<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }

    /** Removes the directories under (and including) {@code directoryKey} that hold nothing; a no-op where there are none. */
    default void removeEmptyDirectories(String directoryKey) throws IOException {
    }

    /**
     * True where a segment's streamed pieces are appended to one file ({@link #appendPiece}) rather than stored as an
     * object each (docs/repository-format.md, "Appended pieces").
     */
    default boolean appendsPieces() {
        return false;
    }

    /**
     * Appends the frame of a piece of {@code length} bytes at segment {@code offset} to the piece file {@code key} and returns
     * once it is durable; waits for the pieces before it. ALREADY_EXISTS, writing nothing, when the file holds the segment from
     * {@code offset} on already: the caller compares the bytes.
     */
    default CommitOutcome appendPiece(String key, long offset, int length, java.nio.ByteBuffer frame) throws IOException {
        throw new UnsupportedOperationException("pieces are objects here");
    }

    /** Cuts the piece file {@code key} after the frame that ends at segment offset {@code end}; a no-op without one. */
    default void truncatePieces(String key, long end) throws IOException {
    }

    /** Removes temporary objects that a crashed writer of this host left behind. */
    int removeAbandoned(String directoryKey) throws IOException;

    /** One name in a listing; {@code modified} is when an object was stored (the epoch for a directory). */
    record Entry(String name, long size, boolean directory, Instant modified) {
    }

    /** What committing found. */
    enum CommitOutcome { CREATED, ALREADY_EXISTS }

    /** An object being written; closing it without a commit discards it. */
    interface PendingObject extends ObjectSink, AutoCloseable {
        /** The object's bytes as they were stored, read back from where they are durable; after finish. */
        InputStream readBack() throws IOException;

        /** Makes the finished object visible at the key, unless an object is there already. */
        CommitOutcome commitIfAbsent() throws IOException;

        @Override
        void close() throws IOException;
    }
}
