package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;
import io.walferry.verify.VerifyRecord;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The last verify of one repository as info shows it: when it ran, what it found, and whether each backup came out intact. */
final class LastVerify {
    /** Findings info lists under the summary line; verify itself lists them all. */
    private static final int LISTED = 10;

    private final Optional<VerifyRecord> record;
    /** Why the record cannot be read; null when it can, or when there is none. */
    private final String problem;

    private LastVerify(Optional<VerifyRecord> record, String problem) {
        this.record = record;
        this.problem = problem;
    }

    static LastVerify of(Repository repository) {
        try {
            return new LastVerify(VerifyRecord.newest(repository), null);
        } catch (WalferryException e) {
            return new LastVerify(Optional.empty(), e.getMessage());
        }
    }

    /** "ok", "damaged", or "unverified" for a backup the last verify did not read (taken after it, or none ran). */
    private String state(String backupId) {
        return record.flatMap(r -> r.backup(backupId)).map(b -> b.ok() ? "ok" : "damaged").orElse("unverified");
    }

    void putBackup(ObjectNode backup, String id) {
        backup.put("verify", state(id));
        ArrayNode problems = backup.putArray("verify_problems");
        record.flatMap(r -> r.backup(id)).ifPresent(b -> b.problems().forEach(problems::add));
    }

    void putSummary(ObjectNode repository) {
        if (problem != null) {
            repository.putObject("last_verify").put("error", problem);
            return;
        }
        if (record.isEmpty()) {
            repository.putNull("last_verify");
            return;
        }
        VerifyRecord r = record.get();
        ObjectNode o = repository.putObject("last_verify").put("started_at", r.startedAt()).put("finished_at", r.finishedAt())
                .put("scope", r.scope()).put("ok", r.findings().isEmpty()).put("wal_objects", r.walObjects())
                .put("backup_objects", r.backupObjects());
        ObjectNode counts = o.putObject("counts");
        counts(r).forEach(counts::put);
        ArrayNode findings = o.putArray("findings");
        for (VerifyRecord.RecordedFinding f : r.findings()) {
            ObjectNode fn = findings.addObject().put("kind", f.kind()).put("object", f.object()).put("detail", f.detail());
            f.backups().forEach(fn.putArray("backups")::add);
        }
        ArrayNode damaged = o.putArray("damaged_backups");
        r.backups().stream().filter(b -> !b.ok()).forEach(b -> damaged.add(b.id()));
    }

    /** The cell of a backup's row: "ok", "DAMAGED (n)" or "-" when the last verify did not read it. */
    String backupCell(String id) {
        return record.flatMap(r -> r.backup(id)).map(b -> b.ok() ? "ok" : "DAMAGED (" + b.problems().size() + ")").orElse("-");
    }

    void print(PrintWriter out) {
        if (problem != null) {
            out.printf("  last verify: its record cannot be read: %s%n", problem);
            return;
        }
        if (record.isEmpty()) {
            out.println("  last verify: never (walferry verify reads and checks every object)");
            return;
        }
        VerifyRecord r = record.get();
        String what = "%s, %d WAL files and %d backup objects".formatted(r.scope(), r.walObjects(), r.backupObjects());
        if (r.findings().isEmpty()) {
            out.printf("  last verify: %s (%s): all good%n", r.finishedAt(), what);
            return;
        }
        out.printf("  last verify: %s (%s): %d findings (%s)%n", r.finishedAt(), what, r.findings().size(),
                counts(r).entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")));
        r.findings().stream().limit(LISTED).forEach(f -> out.printf("    %s %s: %s%n", f.kind(), f.object(), f.detail()));
        if (r.findings().size() > LISTED) {
            out.printf("    and %d more (walferry verify lists them all)%n", r.findings().size() - LISTED);
        }
    }

    private static Map<String, Long> counts(VerifyRecord r) {
        return r.findings().stream().collect(Collectors.groupingBy(VerifyRecord.RecordedFinding::kind, TreeMap::new, Collectors.counting()));
    }
}
