package io.walferry.auxdir;

import io.walferry.config.Compression;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.repository.CorruptObjectException;
import io.walferry.repository.PutOutcome;
import io.walferry.repository.format.EncodeGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Pushes an aux directory as this node found it ({@link AuxLocal}) into one repository: the chunks the newest manifest
 * there does not name are stored unless an object holds them already (content-addressed), then, if anything changed,
 * a new manifest, which therefore names only stored objects.
 */
final class AuxPush {
    private static final Logger LOG = LoggerFactory.getLogger(AuxPush.class);

    private final String cluster;
    private final String node;
    private final Path root;
    private final Compression compression;
    private final EncodeGate gate;
    private final AuxSync.Progress progress;

    AuxPush(String cluster, String node, Path root, Compression compression, EncodeGate gate, AuxSync.Progress progress) {
        this.cluster = cluster;
        this.node = node;
        this.root = root;
        this.compression = compression;
        this.gate = gate;
        this.progress = progress;
    }

    /** A file that changed since it was hashed: its chunk is not stored under the old address. */
    private static final class ContentChanged extends WalferryException {
        ContentChanged(String path) {
            super(Failure.FAILED, path + " changed while it was uploaded", null);
        }
    }

    /**
     * With {@code recheck}, every chunk is looked for by its address, not only those the newest manifest does not name,
     * so that an object removed from the repository (a corrupt one moved aside) is stored again. {@code completePull}: the
     * manifest this node last pulled completely, for {@link AuxPushGate#brake}.
     */
    AuxSync.RepositoryPush push(AuxLocal local, AuxStore store, boolean recheck, Optional<String> completePull) {
        store.repository().requireClusterRecord();
        Optional<String> newestId = store.newestId();
        Optional<AuxManifest> newestManifest = Optional.empty();
        try {
            newestManifest = newestId.flatMap(store::read);
        } catch (CorruptObjectException e) {
            // A new manifest supersedes it; existing objects are found by their addresses, not through it.
            LOG.warn("aux {}: {}; writing a new one", root, e.getMessage());
        }
        Optional<AuxContent> newest = newestManifest.map(AuxManifest::content);
        AuxContent stored = newest.orElse(AuxContent.EMPTY);
        AuxContent known = recheck ? AuxContent.EMPTY : stored;
        List<AuxPlan.Upload> uploads = AuxPlan.uploads(local.content(), known);
        Set<String> available = AuxPlan.chunks(known);
        long total = uploads.stream().mapToLong(AuxPlan.Upload::length).sum();
        long done = 0;
        int objectsStored = 0;
        long bytesStored = 0;
        for (AuxPlan.Upload u : uploads) {
            String key = store.objectKey(u.sha256());
            Uploaded r = store.repository().exists(key) ? Uploaded.ALREADY_STORED : upload(store, key, u);
            if (r != Uploaded.CHANGED) {
                available.add(u.sha256());
            }
            if (r == Uploaded.STORED) {
                objectsStored++;
                bytesStored += u.length();
            }
            done += u.length();
            progress.copied(done, total);
        }
        AuxContent recorded = AuxPlan.recorded(local.content(), local.unstable(), available, stored);
        if (newest.isPresent() && recorded.equals(stored)) {
            return new AuxSync.RepositoryPush(store.repository().name(), newestId, false, objectsStored, bytesStored);
        }
        if (newestManifest.isPresent()) {
            Optional<String> refused = AuxPushGate.brake(newestManifest.get(), recorded, node, completePull);
            if (refused.isPresent()) {
                throw new WalferryException(Failure.FAILED, "no manifest written: " + refused.get(), "run walferry aux sync --pull on this node "
                        + "first, or push from a node whose pull of it succeeded");
            }
        }
        String id = store.write(cluster, node, recorded, newestId, compression);
        int removed = store.removeOldManifests();
        LOG.debug("aux {}: removed {} older manifests from repository {}", root, removed, store.repository().name());
        return new AuxSync.RepositoryPush(store.repository().name(), Optional.of(id), true, objectsStored, bytesStored);
    }

    private enum Uploaded { STORED, ALREADY_STORED, CHANGED }

    /** Stores chunk {@code u} at {@code key}, unless its file changed since it was hashed (it is left for the next scan). */
    private Uploaded upload(AuxStore store, String key, AuxPlan.Upload u) {
        try (FileChannel c = FileChannel.open(root.resolve(u.path()), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ChunkInput in = new ChunkInput(c, u.offset(), u.length());
            PutOutcome outcome = store.repository().putAddressed(key, in, u.length(), compression, gate, () -> {
                if (!in.matches(u.sha256(), u.length())) {
                    throw new ContentChanged(u.path());
                }
            });
            return outcome == PutOutcome.STORED ? Uploaded.STORED : Uploaded.ALREADY_STORED;
        } catch (ContentChanged | NoSuchFileException e) {
            LOG.info("aux {}: {} changed while it was uploaded; it is taken on the next scan", root, u.path());
            return Uploaded.CHANGED;
        } catch (IOException e) {
            throw new WalferryException(Failure.LOCAL, "cannot read " + root.resolve(u.path()) + ": " + e.getMessage(),
                    "run the agent as the OS user that owns the aux directory", e);
        }
    }
}
