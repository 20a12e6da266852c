package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.backup.BackupCatalog;
import io.walferry.backup.BackupManifest;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ArchiveSummary;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import io.walferry.verify.VerifyHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** What each repository holds for the cluster: identity, timelines, segment ranges, gaps and sizes. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show what every repository holds: timelines, WAL ranges, gaps, sizes, backups.")
final class InfoCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        PrintWriter out = main.out();
        ArrayNode json = Output.JSON.createArrayNode();
        List<String> unregistered = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            Repository repo = Repository.open(rc, config.cluster(), false);
            Optional<ClusterRecord> rec = repo.clusterRecord();
            ObjectNode o = json.addObject().put("repository", repo.name()).put("location", rc.describe())
                    .put("required", rc.required());
            if (rec.isEmpty()) {
                o.put("registered", false);
                unregistered.add(repo.name());
                if (!ctx.json()) {
                    out.printf("repository %s: cluster %s is not registered (run walferry repo-create)%n%n", rc.describe(), config.cluster());
                }
                continue;
            }
            ClusterRecord r = rec.get();
            ArchiveSummary s = ArchiveSummary.of(repo, r.walSegmentSize());
            o.put("registered", true).put("cluster", r.cluster()).put("system_identifier", r.systemIdentifier())
                    .put("pg_version", r.pgVersion()).put("wal_segment_size", r.walSegmentSize())
                    .put("objects", s.objects()).put("stored_bytes", s.storedBytes()).put("original_bytes", s.originalBytes());
            ArrayNode tls = o.putArray("timelines");
            for (ArchiveSummary.Timeline t : s.timelines()) {
                ObjectNode tn = tls.addObject().put("timeline", t.timeline()).put("segments", t.segments())
                        .put("oldest", t.oldest().map(WalFileName::fileName).orElse(null))
                        .put("newest", t.newest().map(WalFileName::fileName).orElse(null))
                        .put("history_file", t.hasHistory());
                ArrayNode gaps = tn.putArray("gaps");
                t.gaps().forEach(g -> gaps.addObject().put("from", g.from().fileName()).put("to", g.to().fileName()));
            }
            List<BackupManifest> backups = new BackupCatalog(repo).list();
            LastVerify last = new LastVerify(VerifyHistory.of(repo));
            ArrayNode bj = o.putArray("backups");
            for (BackupManifest b : backups) {
                ObjectNode bn = bj.addObject().put("id", b.id()).put("bytes", b.bytes()).put("files", b.files().size())
                        .put("start_time", b.startTime()).put("stop_time", b.stopTime())
                        .put("duration_seconds", b.duration().toSeconds())
                        .put("timeline", b.timeline()).put("start_wal", b.startWal()).put("stop_wal", b.stopWal())
                        .put("start_lsn", b.startLsn()).put("stop_lsn", b.stopLsn())
                        .put("earliest_recovery_time", b.stopTime()).put("from_standby", b.fromStandby()).put("node", b.node());
                last.putBackup(bn, b.id());
            }
            last.putSummary(o);
            if (!ctx.json()) {
                out.printf("repository %s%n", rc.describe());
                out.printf("  cluster %s: system identifier %s, PostgreSQL %d, %d MB WAL segments%n", r.cluster(),
                        r.systemIdentifier(), r.pgVersion(), r.walSegmentSize() >> 20);
                out.printf("  %d objects, %s stored for %s of WAL (%.2fx)%n", s.objects(), Output.bytes(s.storedBytes()),
                        Output.bytes(s.originalBytes()), s.storedBytes() == 0 ? 1.0 : (double) s.originalBytes() / s.storedBytes());
                List<List<String>> rows = new ArrayList<>();
                for (ArchiveSummary.Timeline t : s.timelines()) {
                    rows.add(List.of(String.valueOf(t.timeline()), String.valueOf(t.segments()),
                            t.oldest().map(WalFileName::fileName).orElse("-"), t.newest().map(WalFileName::fileName).orElse("-"),
                            t.gaps().isEmpty() ? "none" : t.gaps().stream().map(g -> g.from().fileName() + ".." + g.to().fileName())
                                    .reduce((a, b) -> a + ", " + b).orElse(""),
                            t.timeline() == 1 ? "-" : t.hasHistory() ? "yes" : "MISSING"));
                }
                out.println();
                Output.table(out, "  ", List.of("timeline", "segments", "oldest", "newest", "gaps", "history"), rows);
                out.println();
                if (backups.isEmpty()) {
                    out.println("  no backups");
                } else {
                    List<List<String>> brows = new ArrayList<>();
                    for (BackupManifest b : backups) {
                        brows.add(List.of(b.id(), Output.bytes(b.bytes()),
                                b.duration().toSeconds() + " s",
                                b.startWal() + ".." + b.stopWal().substring(16), b.stopTime(), b.fromStandby() ? b.node() + " (standby)" : b.node(), last.backupCell(b.id())));
                    }
                    Output.table(out, "  ", List.of("backup", "size", "took", "WAL", "restores to after", "from", "verified"), brows);
                }
                last.print(out);
                out.println();
            }
        }
        if (ctx.json()) {
            Output.json(out, json);
        }
        if (!unregistered.isEmpty()) {
            // after what info could show: a script sees the exit code, a reader the line
            out.flush();
            main.err().println("walferry: repository " + String.join(", ", unregistered) + " holds no registration of cluster "
                    + config.cluster() + " (hint: run walferry repo-create with the primary running, or check that it is mounted)");
            return ExitCode.CONFIG.code();
        }
        return 0;
    }
}
