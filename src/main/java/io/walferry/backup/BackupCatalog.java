package io.walferry.backup;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.storage.Storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/** The complete backups of a cluster in one repository: those whose manifest is stored. */
public final class BackupCatalog {
    private final Repository repository;

    public BackupCatalog(Repository repository) {
        this.repository = repository;
    }

    /** Complete backups, oldest first. */
    public List<BackupManifest> list() {
        List<BackupManifest> out = new ArrayList<>();
        for (Storage.Entry e : repository.list(RepositoryLayout.BACKUPS)) {
            // a directory that cannot be a backup's (someone else's, or a name that is a path) is not one
            if (e.directory() && BackupManifest.isId(e.name())) {
                manifest(e.name()).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(BackupManifest::id));
        return out;
    }

    public Optional<BackupManifest> manifest(String id) {
        if (!BackupManifest.isId(id)) {
            throw WalferryException.config("\"" + id + "\" is not a backup id", "walferry info lists the backups");
        }
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        if (repository.get(RepositoryLayout.backupObject(id, RepositoryLayout.MANIFEST), json, BackupManifest.MAX_JSON_SIZE).isEmpty()) {
            return Optional.empty();
        }
        BackupManifest m;
        try {
            m = BackupManifest.fromJson(json.toByteArray());
        } catch (IOException e) {
            throw WalferryException.repository("repository " + repository.name() + ": the manifest of backup " + id
                    + " is refused: " + e.getMessage(), "restore another backup; a repository is written only by walferry, "
                            + "so find out who changed this one (or whether a newer walferry wrote it)", e);
        }
        if (!m.id().equals(id)) {
            throw WalferryException.repository("repository " + repository.name() + ": the manifest of backup " + id
                    + " is that of backup " + m.id() + ": refused", "restore another backup; this one was moved or altered", null);
        }
        return Optional.of(m);
    }

    /** The named backup, or the newest one. */
    public BackupManifest pick(String id) {
        return pick(id, RecoveryTarget.none());
    }

    /** The named backup, or the newest one that {@code target} can be reached from. */
    public BackupManifest pick(String id, RecoveryTarget target) {
        if (id != null) {
            return manifest(id).orElseThrow(() -> WalferryException.config("repository " + repository.name()
                    + " holds no complete backup " + id, "walferry info lists the backups"));
        }
        List<BackupManifest> all = list();
        if (all.isEmpty()) {
            throw WalferryException.config("repository " + repository.name() + " holds no complete backup",
                    "take one with walferry backup");
        }
        return choose(all, target, repository.name());
    }

    /**
     * The newest of {@code all} (oldest first) that recovery can reach {@code target} from: PostgreSQL refuses to
     * start when the target comes before the end of the backup ("recovery stop point is before consistent recovery
     * point"). A time target is compared with stop_time, which is taken after pg_backup_stop, so a backup that
     * ends near the target is left for the one before it rather than risked; an LSN target with stop_lsn. An xid or
     * a restore point name cannot be placed without reading the WAL (xids are not assigned in commit order, and a
     * name may be used twice), so those keep the newest backup; --backup chooses another.
     */
    static BackupManifest choose(List<BackupManifest> all, RecoveryTarget target, String repositoryName) {
        Predicate<BackupManifest> endsBefore;
        String given;
        Function<BackupManifest, String> end;
        if (target.time().isPresent()) {
            Instant t = TargetTime.parse(target.time().get());
            endsBefore = m -> !Instant.parse(m.stopTime()).isAfter(t);
            given = "--target-time " + target.time().get();
            end = m -> m.stopTime();
        } else if (target.lsn().isPresent()) {
            Lsn t = RecoveryTarget.parseLsn(target.lsn().get());
            endsBefore = m -> m.stop().compareTo(t) <= 0;
            given = "--target-lsn " + target.lsn().get();
            end = m -> "LSN " + m.stopLsn();
        } else {
            return all.get(all.size() - 1);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            if (endsBefore.test(all.get(i))) {
                return all.get(i);
            }
        }
        BackupManifest earliest = all.get(0);
        throw WalferryException.config("no backup in repository " + repositoryName + " ends at or before " + given
                + ": the earliest point a restore can reach is " + end.apply(earliest) + ", the end of backup " + earliest.id(),
                "choose a target at or after it");
    }
}
