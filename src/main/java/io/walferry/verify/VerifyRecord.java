package io.walferry.verify;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walferry.config.Compression;
import io.walferry.failure.WalferryException;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.Repository;
import io.walferry.repository.storage.Storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the last verify found in one repository, kept in it as the object {@code verify/<finish time>} below the
 * cluster's directory (docs/repository-format.md), one per run, written through the ordinary no-overwrite path;
 * the newest one is what {@code info} shows.
 */
public record VerifyRecord(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("repository") String repository,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("scope") String scope,
        @JsonProperty("wal_objects") long walObjects,
        @JsonProperty("backup_objects") long backupObjects,
        @JsonProperty("stored_bytes") long storedBytes,
        @JsonProperty("findings") List<RecordedFinding> findings,
        @JsonProperty("backups") List<RecordedBackup> backups,
        @JsonProperty("repaired") List<String> repaired) {

    public static final int FORMAT_VERSION = 1;
    static final String SCOPE_ALL = "all";
    private static final int RECENT = 20;
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public VerifyRecord {
        findings = findings == null ? List.of() : List.copyOf(findings);
        backups = backups == null ? List.of() : List.copyOf(backups);
        repaired = repaired == null ? List.of() : List.copyOf(repaired);
    }

    /** A finding as recorded; kind is corrupt, missing, unreadable or gap. */
    public record RecordedFinding(@JsonProperty("kind") String kind, @JsonProperty("object") String object,
                                  @JsonProperty("detail") String detail, @JsonProperty("backups") List<String> backups) {
    }

    /** A backup's status as recorded: the objects it needs that were bad or missing. */
    public record RecordedBackup(@JsonProperty("id") String id, @JsonProperty("ok") boolean ok,
                                 @JsonProperty("problems") List<String> problems) {
    }

    /** The record of one repository's verification in {@code report}. */
    public static VerifyRecord of(VerifyReport report, RepositoryVerification v) {
        RepositoryResult r = v.result();
        return new VerifyRecord(FORMAT_VERSION, r.repository(), report.startedAt().toString(), report.finishedAt().toString(), report.scope(),
                r.walObjects(), r.backupObjects(), r.storedBytes(),
                r.findings().stream().map(f -> new RecordedFinding(f.kind().label(), f.object(), f.detail(), f.backups())).toList(),
                r.backups().stream().map(b -> new RecordedBackup(b.id(), b.ok(), b.problems())).toList(),
                v.repairs().stream().filter(p -> p.outcome() == Repair.Outcome.REPAIRED).map(Repair::object).toList());
    }

    /** The status of backup {@code id} as this record has it; empty when it was not verified. */
    public Optional<RecordedBackup> backup(String id) {
        return backups.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    /** Stores this record in {@code repository}; its name is the time the run finished. */
    public void store(Repository repository) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        repository.putNew(RepositoryLayout.verifyRecord(NAME.format(Instant.parse(finishedAt))), new ByteArrayInputStream(json), json.length,
                Compression.NONE, EncodeGate.NONE);
    }

    /** True for a record of a run that read everything, not one backup. */
    public boolean full() {
        return SCOPE_ALL.equals(scope);
    }

    /**
     * The newest records in {@code repository}, newest first, back to the newest one of a run that read everything
     * (at most {@value #RECENT}): a run for one backup says nothing of the others. Empty when verify never ran
     * there; a record that cannot be read throws.
     */
    public static List<VerifyRecord> recent(Repository repository) {
        List<String> names = repository.list(RepositoryLayout.VERIFY_RECORDS).stream().filter(e -> !e.directory()).map(Storage.Entry::name)
                .sorted(Comparator.reverseOrder()).limit(RECENT).toList();
        List<VerifyRecord> out = new ArrayList<>();
        for (String name : names) {
            Optional<VerifyRecord> r = read(repository, name);
            r.ifPresent(out::add);
            if (r.map(VerifyRecord::full).orElse(false)) {
                break;
            }
        }
        return out;
    }

    /** A record lists findings: far below this even for a repository in ruins. */
    private static final long MAX_RECORD = 64L << 20;

    private static Optional<VerifyRecord> read(Repository repository, String name) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        if (repository.get(RepositoryLayout.verifyRecord(name), json, MAX_RECORD).isEmpty()) {
            return Optional.empty(); // removed since it was listed
        }
        try {
            return Optional.of(JSON.readValue(json.toByteArray(), VerifyRecord.class));
        } catch (IOException e) {
            throw WalferryException.repository("repository " + repository.name() + ": the verify record " + name
                    + " cannot be parsed: " + e.getMessage().lines().findFirst().orElse(""), "this walferry may be older than the one that wrote it", e);
        }
    }
}
