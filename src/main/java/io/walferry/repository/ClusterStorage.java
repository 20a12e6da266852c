package io.walferry.repository;

import io.walferry.failure.WalferryException;
import io.walferry.repository.storage.Storage;
import io.walferry.repository.storage.Storage.PendingObject;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A repository's storage as one cluster sees it: keys relative to the cluster's directory
 * ({@link RepositoryLayout}), and a storage failure turned into one line that names the repository, the key and
 * what to check. The steps of one operation (look, write, read back, commit) run inside {@link #reading} or
 * {@link #writing}, so that the operation fails as a whole, under the key it was about.
 */
final class ClusterStorage {
    private final String repository;
    private final Storage storage;
    private final String cluster;

    ClusterStorage(String repository, Storage storage, String cluster) {
        this.repository = repository;
        this.storage = storage;
        this.cluster = cluster;
    }

    /** A step of an operation on the storage. */
    interface Step<T> {
        T run() throws IOException;
    }

    /** The storage's key of {@code relativeKey}; "" is the cluster's directory itself. */
    String key(String relativeKey) {
        return relativeKey.isEmpty() ? cluster : cluster + "/" + relativeKey;
    }

    String describe() {
        return storage.describe();
    }

    boolean remote() {
        return storage.remote();
    }

    /** Runs {@code step}, which reads {@code relativeKey}; a storage failure is one line, "cannot read" it. */
    <T> T reading(String relativeKey, Step<T> step) {
        return run(relativeKey, step, "read", "reachable and readable");
    }

    /** Runs {@code step}, which stores or removes {@code relativeKey}; a storage failure is one line, "cannot store" it. */
    <T> T writing(String relativeKey, Step<T> step) {
        return run(relativeKey, step, "store", "reachable, writable and not full");
    }

    private <T> T run(String relativeKey, Step<T> step, String verb, String whatToCheck) {
        try {
            return step.run();
        } catch (IOException e) {
            String m = e.getMessage();
            throw WalferryException.repository("repository " + repository + ": cannot " + verb + " " + key(relativeKey) + ": "
                    + e.getClass().getSimpleName() + (m == null ? "" : ": " + m), "check that " + storage.describe() + " is " + whatToCheck, e);
        }
    }

    // ---- steps, for inside reading and writing ----------------------------------------------------------------

    Optional<InputStream> open(String relativeKey) throws IOException {
        return storage.open(key(relativeKey));
    }

    boolean exists(String relativeKey) throws IOException {
        return storage.exists(key(relativeKey));
    }

    PendingObject create(String relativeKey, int headerSize, Storage.ReadBack readBack) throws IOException {
        return storage.create(key(relativeKey), headerSize, readBack);
    }

    boolean appendsPieces() {
        return storage.appendsPieces();
    }

    Storage.CommitOutcome appendPiece(String relativeKey, long offset, int length, java.nio.ByteBuffer frame) throws IOException {
        return storage.appendPiece(key(relativeKey), offset, length, frame);
    }

    void truncatePieces(String relativeKey, long end) throws IOException {
        storage.truncatePieces(key(relativeKey), end);
    }

    // ---- whole operations -------------------------------------------------------------------------------------

    /** The entries directly under {@code relativeDirectory}. */
    List<Storage.Entry> list(String relativeDirectory) {
        return reading(relativeDirectory, () -> storage.list(key(relativeDirectory)));
    }

    void delete(String relativeKey) {
        writing(relativeKey, () -> {
            storage.delete(key(relativeKey));
            return null;
        });
    }

    /** Deletes the objects {@code relativeKeys} of {@code relativeDirectory}. */
    void deleteAll(String relativeDirectory, List<String> relativeKeys) {
        writing(relativeDirectory, () -> {
            storage.deleteAll(relativeKeys.stream().map(this::key).toList());
            return null;
        });
    }

    void removeEmptyDirectories(String relativeDirectory) {
        writing(relativeDirectory, () -> {
            storage.removeEmptyDirectories(key(relativeDirectory));
            return null;
        });
    }

    /** Removes the temporary objects that crashed writers of this host left under the cluster's directory. */
    int removeAbandoned() {
        return reading("", () -> storage.removeAbandoned(cluster));
    }
}
