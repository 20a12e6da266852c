package io.walferry.verify;

import io.walferry.backup.BackupManifest;
import io.walferry.repository.RepositoryLayout;

import java.util.Map;
import java.util.Optional;

/**
 * What was read of one complete backup (one with a manifest).
 *
 * @param manifestCheck how its manifest read
 * @param manifest      the manifest, when it could be read and parsed
 * @param objects       every other object of the backup, by key below its directory ("data/base/1/1259@1",
 *                      "backup_label"); those that vanished while verify ran are not there
 */
public record BackupScan(String id, ObjectCheck manifestCheck, Optional<BackupManifest> manifest, Map<String, ObjectCheck> objects) {
    public BackupScan {
        objects = Map.copyOf(objects);
    }

    /** The key of one of its objects below the cluster's directory. */
    public String object(String key) {
        return RepositoryLayout.backupObject(id, key);
    }
}
