package io.walferry.cli;

import io.walferry.backup.BackupManifest;
import io.walferry.backup.BackupRestore;
import io.walferry.backup.BackupSource;
import io.walferry.backup.RecoveryRange;
import io.walferry.backup.RecoverySettingsFile;
import io.walferry.backup.RecoveryTarget;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.replica.Topology;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Restores a backup into a directory and sets up archive recovery, optionally to a target. */
@Command(name = "restore", mixinStandardHelpOptions = true, description = {"Restore the newest (or a named) backup into a directory, with recovery settings.",
        "Everything the backup's manifest names is checked first: files and directories only inside the target, tablespaces only "
                + "where --tablespace or --tablespaces-as-recorded puts them."})
final class RestoreCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--target-dir", required = true, description = "The data directory to restore into (empty, or --force).")
    Path targetDir;

    @Option(names = "--backup", description = "The backup to restore (default: the newest complete one; with --target-time or --target-lsn, the newest that ends at or before it).")
    String backupId;

    @Option(names = "--repository", description = "The repository to restore from (default: the first that holds the backup).")
    String repositoryName;

    @Option(names = "--target-time", description = "Recover up to this time, with its zone, e.g. '2026-11-22 10:00:00+00' "
            + "(from the end of the backup to the newest WAL in the repository).")
    String targetTime;

    @Option(names = "--target-lsn", description = "Recover up to this LSN.")
    String targetLsn;

    @Option(names = "--target-xid", description = "Recover up to this transaction id (from the newest backup: walferry cannot place an xid in time; "
            + "--backup names an older one).")
    String targetXid;

    @Option(names = "--target-name", description = "Recover up to this restore point (pg_create_restore_point), from the newest backup unless "
            + "--backup names another.")
    String targetName;

    @Option(names = "--target-action", defaultValue = "promote", description = "At the target: promote, pause or shutdown (default promote).")
    String targetAction;

    @Option(names = "--target-timeline", defaultValue = "latest", description = "latest (default), current, or a timeline id.")
    String targetTimeline;

    @Option(names = "--standby", description = "Write standby.signal instead of recovery.signal: keep replaying as a standby.")
    boolean standby;

    @Option(names = "--force", description = "Replace what the target directory holds; restore to a --target-time or "
            + "--target-lsn after the newest WAL in the repository.")
    boolean force;

    @Option(names = "--archive", paramLabel = "on|off", defaultValue = "off", description = {
            "Whether the restored server archives into the cluster's repositories (default off: archive_mode = off is set, so "
                    + "a restored copy never writes its own timeline into production's archive).",
            "on keeps the backup's archive settings, for a server that replaces the cluster's primary; refused while a "
                    + "configured node is a running primary, as two servers would then write the cluster's history."})
    String archive;

    @Mixin
    TablespaceOptions tablespaces = new TablespaceOptions();

    @Option(names = "--jobs", description = "Files restored at the same time (default: archive.workers).")
    Integer jobs;

    @Override
    public Integer call() {
        // a target PostgreSQL would refuse when it starts is refused before anything else
        RecoveryTarget target = RecoveryTarget.of(Optional.ofNullable(targetTime), Optional.ofNullable(targetLsn),
                Optional.ofNullable(targetXid), Optional.ofNullable(targetName), targetAction, targetTimeline);
        main.notAsRoot().check("restore");
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        boolean archiving = archiving();
        Path dir = targetDir.toAbsolutePath().normalize();
        if (archiving) {
            new Topology(config, new PgConnector(config.connection())).refuseArchivingCopy();
        }
        BackupSource source = BackupSource.choose(config, Optional.ofNullable(repositoryName), backupId, target);
        Repository repo = source.repository();
        BackupManifest m = source.backup();
        // a standby waits for WAL archived later; with --force, archive recovery may too
        RecoveryRange.of(repo, m, target).check(target, force || standby);
        ProgressLine progress = new ProgressLine(main.err(), "restore", ctx.json());
        new BackupRestore(repo, m, new BackupRestore.Options(jobs == null ? config.archive().workers() : jobs, target, standby,
                ctx.restoreCommand(), force, tablespaces.placement(), archiving ? List.of() : List.of(RecoverySettingsFile.ARCHIVING_OFF)), progress).run(dir);
        progress.finish();
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("backup", m.id()).put("repository", repo.name()).put("target_dir", dir.toString())
                    .put("files", m.files().size()).put("bytes", m.bytes()).put("recovery_target", target.any())
                    .put("archive", archiving));
        } else {
            out.printf("restored backup %s from repository %s into %s: %d files, %s%n", m.id(), repo.name(), dir, m.files().size(),
                    Output.bytes(m.bytes()));
            out.printf("start PostgreSQL on it: it replays WAL from the archive through walferry archive-get%s%n",
                    target.any() ? " up to the target, then " + target.action() + "s" : "");
            out.println(archiving ? "it archives into the cluster's repositories once it is promoted (--archive on)"
                    : "it does not archive (archive_mode = off): a copy must not write its own timeline into the cluster's repositories; "
                    + "restore with --archive on for a server that replaces the primary");
        }
        return 0;
    }

    private boolean archiving() {
        return switch (archive) {
            case "on" -> true;
            case "off" -> false;
            default -> throw WalferryException.config("--archive must be on or off, not " + archive, null);
        };
    }
}
