package io.walferry.verify;

import java.util.List;

/**
 * What verify decided about one repository.
 *
 * @param walObjects    WAL files read
 * @param backupObjects backup objects read, manifests included
 * @param storedBytes   bytes read
 * @param findings      what is wrong, in object order
 * @param backups       every complete backup's status, oldest first
 */
public record RepositoryResult(String repository, boolean required, long walObjects, long backupObjects, long auxObjects, long storedBytes,
                               List<Finding> findings, List<BackupStatus> backups) {
    public RepositoryResult {
        findings = List.copyOf(findings);
        backups = List.copyOf(backups);
    }

    /** A repository that could not be read at all: one finding. */
    static RepositoryResult unusable(String repository, boolean required, Finding finding) {
        return new RepositoryResult(repository, required, 0, 0, 0, 0, List.of(finding), List.of());
    }

    public boolean ok() {
        return findings.isEmpty();
    }
}
