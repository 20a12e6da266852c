package io.walferry.cli;

import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.backup.BackupManifest;
import io.walferry.backup.BaseBackup;
import io.walferry.backup.PrimaryWalSwitch;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** A full base backup of the node into every repository. */
@Command(name = "backup", mixinStandardHelpOptions = true, description = "Take a full base backup of a running primary or standby (--node; default: the primary) into every repository.")
final class BackupCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--jobs", description = "Files copied at the same time (default: archive.workers).")
    Integer jobs;

    @Option(names = "--chunk-size", description = "Files larger than this many MiB are stored in pieces of this size, copied and "
            + "restored in parallel (default: 64).", defaultValue = "64")
    int chunkSizeMib;

    @Option(names = "--wal-timeout", description = "How long to wait for the backup's WAL to reach every repository (default: 300s).",
            defaultValue = "300")
    long walTimeoutSeconds;

    @Override
    public Integer call() throws SQLException {
        if (chunkSizeMib < 1 || chunkSizeMib > 1024) {
            throw WalferryException.config("--chunk-size " + chunkSizeMib + " is out of range", "give a number of MiB from 1 to 1024");
        }
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        NodeConfig node = ctx.nodeOrPrimary();
        // A backup goes into every repository, optional ones too: each must be reachable and registered.
        ArchiveSet archives = ArchiveSet.openEvery(config);
        List<Repository> repos = archives.repositories();
        ClusterRecord record = repos.get(0).requireClusterRecord();
        ArchivePusher walPusher = new ArchivePusher(archives, config.archive().compression());
        ProgressLine progress = new ProgressLine(main.err(), "backup", ctx.json());
        BaseBackup backup = new BaseBackup(node, walPusher, record, new BaseBackup.Options(jobs == null ? config.archive().workers() : jobs,
                config.archive().compression(), (long) chunkSizeMib << 20, Duration.ofSeconds(walTimeoutSeconds)), progress);
        PgConnector pg = new PgConnector(config.connection());
        BackupManifest m;
        try (Connection c = pg.connect(node)) {
            m = backup.run(c, new PrimaryWalSwitch(config, node, pg));
        }
        progress.finish();
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("backup", m.id()).put("files", m.files().size()).put("bytes", m.bytes())
                    .put("start_lsn", m.startLsn()).put("stop_lsn", m.stopLsn()).put("timeline", m.timeline())
                    .put("start_wal", m.startWal()).put("stop_wal", m.stopWal()).put("from_standby", m.fromStandby()));
        } else {
            out.printf("backup %s complete: %d files, %s, WAL %s to %s, in %d repositories%n", m.id(), m.files().size(),
                    Output.bytes(m.bytes()), m.startWal(), m.stopWal(), repos.size());
        }
        return 0;
    }
}
