package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;
import io.walferry.verify.Finding;
import io.walferry.verify.VerifyRecord;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The last verify of one repository as info shows it: when it ran, what it found, and whether each backup came out
 * intact, by the newest run that read it (a run for one backup says nothing of the others).
 */
final class LastVerify {
    /** Findings info lists under the summary line; verify itself lists them all. */
    private static final int LISTED = 10;

    /** Newest first, back to the newest run that read everything. */
    private final List<VerifyRecord> records;
    /** Why a record cannot be read; null when they can, or when there is none. */
    private final String problem;

    private LastVerify(List<VerifyRecord> records, String problem) {
        this.records = records;
        this.problem = problem;
    }

    static LastVerify of(Repository repository) {
        try {
            return new LastVerify(VerifyRecord.recent(repository), null);
        } catch (WalferryException e) {
            return new LastVerify(List.of(), e.getMessage());
        }
    }

    /** The backup as the newest run that read it found it; empty when none did (it was taken after, or verify never ran). */
    private Optional<VerifyRecord.RecordedBackup> backup(String id) {
        return records.stream().map(r -> r.backup(id)).flatMap(Optional::stream).findFirst();
    }

    void putBackup(ObjectNode backup, String id) {
        backup.put("verify", backup(id).map(b -> b.ok() ? "ok" : "damaged").orElse("unverified"));
        ArrayNode problems = backup.putArray("verify_problems");
        backup(id).ifPresent(b -> b.problems().forEach(problems::add));
    }

    void putSummary(ObjectNode repository) {
        if (problem != null) {
            repository.putObject("last_verify").put("error", problem);
            return;
        }
        if (records.isEmpty()) {
            repository.putNull("last_verify");
            return;
        }
        put(repository.putObject("last_verify"), records.get(0));
        VerifyRecord full = records.get(records.size() - 1);
        if (full != records.get(0) && full.full()) {
            put(repository.putObject("last_full_verify"), full);
        }
    }

    private static void put(ObjectNode o, VerifyRecord r) {
        o.put("started_at", r.startedAt()).put("finished_at", r.finishedAt()).put("scope", r.scope()).put("ok", r.findings().isEmpty())
                .put("wal_objects", r.walObjects()).put("backup_objects", r.backupObjects());
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
        return backup(id).map(b -> b.ok() ? "ok" : "DAMAGED (" + b.problems().size() + ")").orElse("-");
    }

    void print(PrintWriter out) {
        if (problem != null) {
            out.printf("  last verify: its record cannot be read: %s%n", problem);
            return;
        }
        if (records.isEmpty()) {
            out.println("  last verify: never (walferry verify reads and checks every object)");
            return;
        }
        VerifyRecord r = records.get(0);
        print(out, "last verify", r);
        r.findings().stream().limit(LISTED).forEach(f -> out.printf("    %s %s: %s%n", f.kind(), f.object(), f.detail()));
        if (r.findings().size() > LISTED) {
            out.printf("    and %d more (walferry verify lists them all)%n", r.findings().size() - LISTED);
        }
        VerifyRecord full = records.get(records.size() - 1);
        if (full != r && full.full()) {
            print(out, "last full verify", full);
        }
    }

    private static void print(PrintWriter out, String which, VerifyRecord r) {
        String what = "%s, %d WAL files and %d backup objects".formatted(r.scope(), r.walObjects(), r.backupObjects());
        int n = r.findings().size();
        out.printf("  %s: %s (%s): %s%n", which, r.finishedAt(), what, n == 0 ? "all good" : n + (n == 1 ? " finding (" : " findings (")
                + counts(r).entrySet().stream().filter(e -> e.getValue() > 0).map(e -> e.getValue() + " " + e.getKey())
                .collect(Collectors.joining(", ")) + ")");
    }

    /** How many findings of each kind, every kind listed, in the order verify reports them. */
    private static Map<String, Long> counts(VerifyRecord r) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Finding.Kind k : Finding.Kind.values()) {
            counts.put(k.label(), r.findings().stream().filter(f -> f.kind().equals(k.label())).count());
        }
        return counts;
    }
}
