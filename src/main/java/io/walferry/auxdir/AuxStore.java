package io.walferry.auxdir;

import io.walferry.config.Compression;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.repository.CorruptObjectException;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.storage.Storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One aux directory's objects and manifests in one repository, at the keys {@link RepositoryLayout} gives: a chunk
 * is stored under its content address, a manifest under the time it was made.
 */
final class AuxStore {
    /** Older manifests than this many are removed by a push (their objects stay: a newer manifest may name them). */
    static final int KEEP_MANIFESTS = 10;
    private static final int ID_ATTEMPTS = 5;

    private final Repository repository;
    private final String name;
    private final Map<String, AuxManifest> lastRead;

    /** @param lastRead the manifest last read of each directory in each repository, kept by the caller across passes */
    AuxStore(Repository repository, String name, Map<String, AuxManifest> lastRead) {
        this.repository = repository;
        this.name = name;
        this.lastRead = lastRead;
    }

    Repository repository() {
        return repository;
    }

    /** The key of the object holding the chunk of SHA-256 {@code sha256} (hex). */
    String objectKey(String sha256) {
        return RepositoryLayout.auxObject(name, address(sha256));
    }

    /** The address (its name below the objects directory) of the object holding the chunk of SHA-256 {@code sha256} (hex). */
    String address(String sha256) {
        return repository.contentAddress(HexFormat.of().parseHex(sha256));
    }

    /** The ids of the stored manifests, oldest first. */
    List<String> manifestIds() {
        return repository.list(RepositoryLayout.auxManifests(name)).stream()
                .filter(e -> !e.directory() && AuxManifest.isId(e.name())).map(Storage.Entry::name).sorted().toList();
    }

    Optional<String> newestId() {
        List<String> ids = manifestIds();
        return ids.isEmpty() ? Optional.empty() : Optional.of(ids.get(ids.size() - 1));
    }

    /**
     * Manifest {@code id}, verified and checked; empty if it is gone (removed since it was listed). The one read last
     * is not read again: a stored manifest never changes.
     */
    Optional<AuxManifest> read(String id) {
        String cacheKey = repository.name() + "/" + name;
        AuxManifest known = lastRead.get(cacheKey);
        if (known != null && known.id().equals(id)) {
            return Optional.of(known);
        }
        Optional<AuxManifest> m = readStored(id);
        m.ifPresent(found -> lastRead.put(cacheKey, found));
        return m;
    }

    private Optional<AuxManifest> readStored(String id) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        String key = RepositoryLayout.auxManifest(name, id);
        if (repository.get(key, json, AuxManifest.MAX_JSON_SIZE).isEmpty()) {
            return Optional.empty();
        }
        try {
            AuxManifest m = AuxManifest.fromJson(json.toByteArray(), name);
            if (!m.id().equals(id)) {
                throw new AuxManifestCheck.InvalidManifestException("it is that of manifest " + m.id());
            }
            return Optional.of(m);
        } catch (AuxManifestCheck.InvalidManifestException e) {
            throw new CorruptObjectException(repository.name(), key, "is refused as a manifest of aux directory " + name + ": " + e.getMessage());
        }
    }

    /** Stores a new manifest of {@code content}, later than {@code newest}; its id. */
    String write(String cluster, String node, AuxContent content, Optional<String> newest, Compression compression) {
        Optional<String> after = newest;
        for (int attempt = 1; ; attempt++) {
            Instant now = Instant.now();
            String id = AuxManifest.nextId(now, after);
            byte[] json = AuxManifest.of(id, cluster, name, node, now, content).toJson();
            try {
                repository.putNew(RepositoryLayout.auxManifest(name, id), new ByteArrayInputStream(json), json.length,
                        compression, EncodeGate.NONE);
                return id;
            } catch (WalferryException e) {
                if (e.kind() != Failure.CONFLICT || attempt == ID_ATTEMPTS) {
                    throw e;
                }
                after = Optional.of(id); // another writer took that millisecond
            }
        }
    }

    /** Removes all but the newest {@link #KEEP_MANIFESTS} manifests; how many it removed. */
    int removeOldManifests() {
        List<String> ids = manifestIds();
        int remove = Math.max(0, ids.size() - KEEP_MANIFESTS);
        for (String id : ids.subList(0, remove)) {
            repository.delete(RepositoryLayout.auxManifest(name, id));
        }
        return remove;
    }
}
