package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.auxdir.AuxExpiry;
import io.walferry.backup.Retention;
import io.walferry.backup.StreamPieceExpiry;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Removes backups beyond the retention policy, and the WAL no retained backup needs, in every repository; and of each aux
 * directory the old manifests and the objects no kept manifest names.
 */
@Command(name = "expire", mixinStandardHelpOptions = true, description = "Remove backups beyond --keep / --max-age-days, backups that never finished, and the WAL that "
        + "no retained backup needs; of each aux directory, the manifests beyond the newest --aux-keep-manifests and the objects no kept "
        + "manifest names once older than --aux-grace-hours.")
final class ExpireCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--keep", description = "Keep the newest N backups.")
    Integer keep;

    @Option(names = "--max-age-days", description = "Keep every backup younger than this many days, and the newest one older "
            + "(recovery to any point in those days starts from it).")
    Integer maxAgeDays;

    @Option(names = "--incomplete-grace-hours", defaultValue = "48", description = "Remove a backup that never finished (no manifest) "
            + "once it started this many hours ago (default 48); set it above your longest backup's duration.")
    int incompleteGraceHours;

    @Option(names = "--aux-keep-manifests", paramLabel = "N", description = "Keep the newest N manifests of each aux directory, and "
            + "every object they name (default 3).")
    int auxKeepManifests = AuxExpiry.DEFAULT_KEEP_MANIFESTS;

    @Option(names = "--aux-grace-hours", paramLabel = "H", description = "Keep an aux object no kept manifest names until it is this "
            + "many hours old (default 48): a push stores its objects before the manifest that names them; set it above your longest aux push.")
    int auxGraceHours = (int) AuxExpiry.DEFAULT_GRACE.toHours();

    @Option(names = "--dry-run", description = "Say what would be removed, remove nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (keep == null && maxAgeDays == null) {
            throw WalferryException.config("expire needs a policy", "pass --keep N and/or --max-age-days D");
        }
        if ((keep != null && keep < 1) || (maxAgeDays != null && maxAgeDays < 0) || incompleteGraceHours < 1 || auxKeepManifests < 1
                || auxGraceHours < 1) {
            throw WalferryException.config("--keep, --incomplete-grace-hours, --aux-keep-manifests and --aux-grace-hours must be at least 1, "
                    + "and --max-age-days at least 0", null);
        }
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        PrintWriter out = main.out();
        ArrayNode json = Output.JSON.createArrayNode();
        Retention.Policy policy = new Retention.Policy(Optional.ofNullable(keep), Optional.ofNullable(maxAgeDays).map(Duration::ofDays),
                Duration.ofHours(incompleteGraceHours));
        List<String> problems = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            Repository repo = Repository.open(rc, config.cluster(), false);
            ClusterRecord record = repo.requireClusterRecord();
            Retention.Result r = new Retention(repo, record.walSegmentSize()).apply(policy, Instant.now(), dryRun);
            List<AuxExpiry.Result> aux = new AuxExpiry(repo).apply(auxKeepManifests, Duration.ofHours(auxGraceHours), Instant.now(), dryRun);
            aux.forEach(a -> problems.addAll(a.problems()));
            StreamPieceExpiry.Result pieces = new StreamPieceExpiry(repo).apply(StreamPieceExpiry.DEFAULT_GRACE, Instant.now(), dryRun);
            if (ctx.json()) {
                ObjectNode o = json.addObject().put("repository", r.repository()).put("dry_run", dryRun)
                        .put("wal_kept_from", r.walKeptFrom().orElse(null)).put("wal_removed", r.walRemoved().size());
                r.retained().forEach(o.putArray("retained")::add);
                r.expired().forEach(o.putArray("expired")::add);
                r.incompleteRemoved().forEach(o.putArray("incomplete_removed")::add);
                o.put("stream_pieces_removed", pieces.piecesRemoved());
                pieces.segmentsRemoved().forEach(o.putArray("stream_pieces_removed_of")::add);
                ArrayNode auxJson = o.putArray("aux_directories");
                for (AuxExpiry.Result a : aux) {
                    ObjectNode an = auxJson.addObject().put("name", a.name()).put("manifests_kept", a.manifestsKept())
                            .put("objects_removed", a.objectsRemoved()).put("bytes_removed", a.bytesRemoved())
                            .put("objects_kept", a.objectsKept()).put("objects_young", a.objectsYoung());
                    a.manifestsRemoved().forEach(an.putArray("manifests_removed")::add);
                    a.problems().forEach(an.putArray("problems")::add);
                }
            } else {
                out.printf("repository %s: %s %d backups (%s), kept %d (%s); %s %d WAL files%s%n", r.repository(),
                        dryRun ? "would expire" : "expired", r.expired().size(), String.join(", ", r.expired()), r.retained().size(),
                        String.join(", ", r.retained()), dryRun ? "would remove" : "removed", r.walRemoved().size(),
                        r.walKeptFrom().map(w -> ", WAL kept from " + w).orElse(" (no complete backup: no WAL removed)"));
                if (!r.incompleteRemoved().isEmpty()) {
                    out.printf("repository %s: %s %d backups that never finished (%s)%n", r.repository(), dryRun ? "would remove" : "removed",
                            r.incompleteRemoved().size(), String.join(", ", r.incompleteRemoved()));
                }
                if (pieces.piecesRemoved() > 0 || pieces.segmentsYoung() > 0) {
                    out.printf("repository %s: %s %d streamed pieces of %d segments stored whole%s%n", r.repository(),
                            dryRun ? "would remove" : "removed", pieces.piecesRemoved(), pieces.segmentsRemoved().size(),
                            pieces.segmentsYoung() == 0 ? "" : ", kept those of " + pieces.segmentsYoung() + " stored less than "
                                    + StreamPieceExpiry.DEFAULT_GRACE.toMinutes() + " min ago");
                }
                for (AuxExpiry.Result a : aux) {
                    out.printf("repository %s: aux directory %s: %s %d manifests, kept %d; %s %d objects (%s) no kept manifest names, kept %d "
                                    + "they name and %d younger than %d h%n", r.repository(), a.name(), dryRun ? "would remove" : "removed",
                            a.manifestsRemoved().size(), a.manifestsKept(), dryRun ? "would remove" : "removed", a.objectsRemoved(),
                            Output.bytes(a.bytesRemoved()), a.objectsKept(), a.objectsYoung(), auxGraceHours);
                }
            }
        }
        if (ctx.json()) {
            Output.json(out, json);
        }
        problems.forEach(p -> main.err().println("walferry: " + p));
        return problems.isEmpty() ? 0 : ExitCode.REPOSITORY.code();
    }
}
