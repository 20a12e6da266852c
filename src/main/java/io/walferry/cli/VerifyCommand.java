package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.verify.BackupStatus;
import io.walferry.verify.Finding;
import io.walferry.verify.Repair;
import io.walferry.verify.Repairer;
import io.walferry.verify.RepositoryResult;
import io.walferry.verify.RepositoryVerification;
import io.walferry.verify.Verifier;
import io.walferry.verify.VerifyRecord;
import io.walferry.verify.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** Reads every object of the repositories, decoded and checked, and reports what is bad or missing; repairs optional ones. */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Read and check every WAL file and backup object of every repository (header, checksums, "
        + "decryption, WAL chain per timeline, each backup's files and WAL); exit 3 if anything is bad or missing.")
final class VerifyCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--repository", paramLabel = "NAME", description = "Verify only this repository.")
    String repositoryName;

    @Option(names = "--backup", paramLabel = "ID", description = "Verify only this backup: its files, and the WAL from its start to its stop.")
    String backupId;

    @Option(names = "--jobs", paramLabel = "N", description = "Objects read at the same time (default: archive.workers).")
    Integer jobs;

    @Option(names = "--repair", description = "Replace each bad or missing object of an optional repository with a verified copy "
            + "from another repository. Objects that read well, and required repositories, are never changed.")
    boolean repair;

    @Override
    public Integer call() {
        // it writes its record, and --repair objects, into the repositories: as root they would be root's
        main.notAsRoot().check("verify");
        if (jobs != null && (jobs < 1 || jobs > 64)) {
            throw WalferryException.config("--jobs " + jobs + " is out of range", "give a number from 1 to 64");
        }
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        ProgressLine progress = new ProgressLine(main.err(), "verify", ctx.json());
        VerifyReport report = new Verifier(config, new Verifier.Options(Optional.ofNullable(repositoryName), Optional.ofNullable(backupId),
                jobs == null ? config.archive().workers() : jobs), progress).run();
        progress.finish();
        if (repair) {
            report = new Repairer(config).repair(report);
        }
        record(report);
        if (ctx.json()) {
            Output.json(main.out(), json(report));
        } else {
            text(main.out(), report);
        }
        return report.ok() ? ExitCode.OK.code() : ExitCode.REPOSITORY.code();
    }

    /** Keeps the result in each repository that was read, for info; a repository that refuses the write is only warned about. */
    private void record(VerifyReport report) {
        for (RepositoryVerification v : report.repositories()) {
            v.repository().ifPresent(repo -> {
                try {
                    VerifyRecord.of(report, v).store(repo);
                } catch (WalferryException e) {
                    main.err().println("walferry: warning: the result was not recorded in repository " + repo.name() + " (info will not show it): "
                            + e.oneLine());
                }
            });
        }
    }

    private static ObjectNode json(VerifyReport report) {
        ObjectNode o = Output.object().put("ok", report.ok()).put("scope", report.scope())
                .put("started_at", report.startedAt().toString()).put("finished_at", report.finishedAt().toString());
        ObjectNode counts = o.putObject("counts");
        report.counts().forEach((k, n) -> counts.put(k.label(), n));
        counts.put("total", report.findings().size());
        ArrayNode findings = o.putArray("findings");
        report.findings().forEach(f -> finding(findings.addObject(), f));
        ArrayNode repos = o.putArray("repositories");
        for (RepositoryVerification v : report.repositories()) {
            RepositoryResult r = v.result();
            ObjectNode rn = repos.addObject().put("repository", r.repository()).put("required", r.required()).put("ok", r.ok())
                    .put("wal_objects", r.walObjects()).put("backup_objects", r.backupObjects()).put("aux_objects", r.auxObjects())
                    .put("stored_bytes", r.storedBytes());
            ArrayNode backups = rn.putArray("backups");
            for (BackupStatus b : r.backups()) {
                ObjectNode bn = backups.addObject().put("id", b.id()).put("ok", b.ok());
                b.problems().forEach(bn.putArray("problems")::add);
            }
        }
        ArrayNode repairs = o.putArray("repairs");
        for (Repair p : report.repairs()) {
            repairs.addObject().put("repository", p.finding().repository()).put("object", p.object()).put("kind", p.finding().kind().label())
                    .put("outcome", p.outcome().label()).put("detail", p.detail());
        }
        return o;
    }

    private static void finding(ObjectNode n, Finding f) {
        n.put("kind", f.kind().label()).put("repository", f.repository()).put("object", f.object()).put("detail", f.detail());
        f.backups().forEach(n.putArray("backups")::add);
    }

    private static void text(PrintWriter out, VerifyReport report) {
        for (Finding f : report.findings()) {
            out.printf("%s: %s %s: %s%s%n", f.repository(), f.kind().label(), f.object(), f.detail(),
                    f.backups().isEmpty() ? "" : " (backup " + String.join(", ", f.backups()) + ")");
        }
        for (Repair p : report.repairs()) {
            out.printf("%s: %s %s (%s): %s%n", p.finding().repository(), p.outcome().label(), p.object(), p.finding().kind().label(), p.detail());
        }
        for (RepositoryVerification v : report.repositories()) {
            for (BackupStatus b : v.result().backups()) {
                if (!b.ok()) {
                    out.printf("%s: backup %s is damaged here: %s (%s)%n", v.result().repository(), b.id(),
                            b.problems().size() == 1 ? "1 object it needs is bad or missing" : b.problems().size() + " objects it needs are bad or missing",
                            String.join(", ", b.problems()));
                }
            }
        }
        List<RepositoryResult> results = report.repositories().stream().map(RepositoryVerification::result).toList();
        long wal = results.stream().mapToLong(RepositoryResult::walObjects).sum();
        long backupObjects = results.stream().mapToLong(RepositoryResult::backupObjects).sum();
        long backups = results.stream().mapToLong(r -> r.backups().size()).sum();
        long aux = results.stream().mapToLong(RepositoryResult::auxObjects).sum();
        long bytes = results.stream().mapToLong(RepositoryResult::storedBytes).sum();
        String read = String.format("%d WAL files, %d backup objects (%d backups)%s in %d repositories, %s in %d s", wal, backupObjects, backups,
                aux == 0 ? "" : " and " + aux + " aux objects", results.size(), Output.bytes(bytes),
                Duration.between(report.startedAt(), report.finishedAt()).toSeconds());
        if (report.ok()) {
            out.printf("verify: all good (%s): %s%n", report.scope(), read);
            return;
        }
        Map<Finding.Kind, Long> counts = report.counts();
        String kinds = counts.entrySet().stream().filter(e -> e.getValue() > 0).map(e -> e.getValue() + " " + e.getKey().label())
                .collect(Collectors.joining(", "));
        String where = results.stream().filter(r -> !r.ok()).map(RepositoryResult::repository).collect(Collectors.joining(", "));
        int n = report.findings().size();
        out.printf("verify: %d %s (%s) in repository %s (%s): %s%n", n, n == 1 ? "finding" : "findings", kinds, where, report.scope(), read);
    }
}
