package io.walferry.verify;

import java.util.List;

/**
 * Whether one backup can be restored as verify found it.
 *
 * @param problems the bad or missing objects that it needs (its files, its manifest and backup_label, the WAL from
 *                 its start to its stop and its timeline's history file); empty when it is intact
 */
public record BackupStatus(String id, List<String> problems) {
    public BackupStatus {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
