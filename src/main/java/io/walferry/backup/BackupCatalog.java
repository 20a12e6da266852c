package io.walferry.backup;

import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;
import io.walferry.repository.Storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The complete backups of a cluster in one repository: those whose manifest is stored. */
public final class BackupCatalog {
    private final Repository repository;

    public BackupCatalog(Repository repository) {
        this.repository = repository;
    }

    public static String dir(String id) {
        return "backup/" + id;
    }

    /** Complete backups, oldest first. */
    public List<BackupManifest> list() {
        List<BackupManifest> out = new ArrayList<>();
        for (Storage.Entry e : repository.list("backup")) {
            if (e.directory()) {
                manifest(e.name()).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(BackupManifest::id));
        return out;
    }

    public Optional<BackupManifest> manifest(String id) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        if (repository.get(dir(id) + "/manifest", json).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(BackupManifest.fromJson(json.toByteArray()));
        } catch (IOException e) {
            throw WalferryException.repository("repository " + repository.name() + ": the manifest of backup " + id
                    + " cannot be read: " + e.getMessage(), "this walferry may be older than the one that wrote it", e);
        }
    }

    /** The named backup, or the newest one. */
    public BackupManifest pick(String id) {
        if (id != null) {
            return manifest(id).orElseThrow(() -> WalferryException.config("repository " + repository.name()
                    + " holds no complete backup " + id, "walferry info lists the backups"));
        }
        List<BackupManifest> all = list();
        if (all.isEmpty()) {
            throw WalferryException.config("repository " + repository.name() + " holds no complete backup",
                    "take one with walferry backup");
        }
        return all.get(all.size() - 1);
    }
}
