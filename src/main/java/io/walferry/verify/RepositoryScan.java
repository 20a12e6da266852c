package io.walferry.verify;

import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;

import java.util.List;
import java.util.Map;

/**
 * What verify read from one repository: every WAL file's check, the timeline histories that read well, and the
 * backups. Everything the decision needs, and nothing that needs a repository to compute.
 *
 * @param wal         every stored WAL file that was read, with its check
 * @param histories   the parsed history files that read well, by timeline
 * @param storedBytes the bytes read
 * @param aux         the aux directories (none when one backup was verified)
 * @param pieces      every streamed piece that was read, with its check, by key (none when one backup was verified)
 */
public record RepositoryScan(String repository, boolean required, long segmentSize, Map<WalFileName, ObjectCheck> wal,
                             Map<Integer, TimelineHistory> histories, List<BackupScan> backups, long storedBytes,
                             List<AuxDirectoryScan> aux, Map<String, ObjectCheck> pieces) {
    public RepositoryScan(String repository, boolean required, long segmentSize, Map<WalFileName, ObjectCheck> wal,
                          Map<Integer, TimelineHistory> histories, List<BackupScan> backups, long storedBytes, List<AuxDirectoryScan> aux) {
        this(repository, required, segmentSize, wal, histories, backups, storedBytes, aux, Map.of());
    }

    public RepositoryScan {
        pieces = Map.copyOf(pieces);
        wal = Map.copyOf(wal);
        histories = Map.copyOf(histories);
        backups = List.copyOf(backups);
        aux = List.copyOf(aux);
    }

    public long auxObjects() {
        return aux.stream().mapToLong(a -> a.manifests().size() + a.objects().size()).sum();
    }

    public long backupObjects() {
        return backups.stream().mapToLong(b -> b.objects().size() + 1).sum();
    }
}
