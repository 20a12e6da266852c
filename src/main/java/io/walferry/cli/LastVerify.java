package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.verify.VerifyHistory;
import io.walferry.verify.VerifyRecord;

import java.io.PrintWriter;
import java.util.stream.Collectors;

/** The last verify of one repository as info renders it ({@link VerifyHistory} says what it was). */
final class LastVerify {
    /** Findings info lists under the summary line; verify itself lists them all. */
    private static final int LISTED = 10;

    private final VerifyHistory history;

    LastVerify(VerifyHistory history) {
        this.history = history;
    }

    void putBackup(ObjectNode backup, String id) {
        backup.put("verify", history.backup(id).map(b -> b.ok() ? "ok" : "damaged").orElse("unverified"));
        ArrayNode problems = backup.putArray("verify_problems");
        history.backup(id).ifPresent(b -> b.problems().forEach(problems::add));
    }

    void putSummary(ObjectNode repository) {
        if (history.problem().isPresent()) {
            repository.putObject("last_verify").put("error", history.problem().get());
            return;
        }
        if (history.last().isEmpty()) {
            repository.putNull("last_verify");
            return;
        }
        put(repository.putObject("last_verify"), history.last().get());
        history.lastFullBefore().ifPresent(full -> put(repository.putObject("last_full_verify"), full));
    }

    private static void put(ObjectNode o, VerifyRecord r) {
        o.put("started_at", r.startedAt()).put("finished_at", r.finishedAt()).put("scope", r.scope()).put("ok", r.findings().isEmpty())
                .put("wal_objects", r.walObjects()).put("backup_objects", r.backupObjects());
        ObjectNode counts = o.putObject("counts");
        VerifyHistory.counts(r).forEach(counts::put);
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
        return history.backup(id).map(b -> b.ok() ? "ok" : "DAMAGED (" + b.problems().size() + ")").orElse("-");
    }

    void print(PrintWriter out) {
        if (history.problem().isPresent()) {
            out.printf("  last verify: its record cannot be read: %s%n", history.problem().get());
            return;
        }
        if (history.last().isEmpty()) {
            out.println("  last verify: never (walferry verify reads and checks every object)");
            return;
        }
        VerifyRecord r = history.last().get();
        print(out, "last verify", r);
        r.findings().stream().limit(LISTED).forEach(f -> out.printf("    %s %s: %s%n", f.kind(), f.object(), f.detail()));
        if (r.findings().size() > LISTED) {
            out.printf("    and %d more (walferry verify lists them all)%n", r.findings().size() - LISTED);
        }
        history.lastFullBefore().ifPresent(full -> print(out, "last full verify", full));
    }

    private static void print(PrintWriter out, String which, VerifyRecord r) {
        String what = "%s, %d WAL files and %d backup objects".formatted(r.scope(), r.walObjects(), r.backupObjects());
        int n = r.findings().size();
        out.printf("  %s: %s (%s): %s%n", which, r.finishedAt(), what, n == 0 ? "all good" : n + (n == 1 ? " finding (" : " findings (")
                + VerifyHistory.counts(r).entrySet().stream().filter(e -> e.getValue() > 0).map(e -> e.getValue() + " " + e.getKey())
                .collect(Collectors.joining(", ")) + ")");
    }
}
