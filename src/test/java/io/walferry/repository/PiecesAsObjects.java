package io.walferry.repository;

import io.walferry.repository.storage.Storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/** A real storage that stores each streamed piece as an object of its own, as walferry did before piece files (and S3 does). */
final class PiecesAsObjects implements Storage {
    private final Storage storage;

    PiecesAsObjects(Storage storage) {
        this.storage = storage;
    }

    @Override
    public String describe() {
        return storage.describe();
    }

    @Override
    public PendingObject create(String key, int headerSize, ReadBack readBack) throws IOException {
        return storage.create(key, headerSize, readBack);
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        return storage.open(key);
    }

    @Override
    public boolean exists(String key) throws IOException {
        return storage.exists(key);
    }

    @Override
    public List<Entry> list(String directoryKey) throws IOException {
        return storage.list(directoryKey);
    }

    @Override
    public void delete(String key) throws IOException {
        storage.delete(key);
    }

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        storage.deleteAll(keys);
    }

    @Override
    public void removeEmptyDirectories(String directoryKey) throws IOException {
        storage.removeEmptyDirectories(directoryKey);
    }

    @Override
    public int removeAbandoned(String directoryKey) throws IOException {
        return storage.removeAbandoned(directoryKey);
    }
}
