package io.walferry.replica;

import io.walferry.auxdir.AuxSync;
import io.walferry.backup.BackupCatalog;
import io.walferry.backup.BackupManifest;
import io.walferry.backup.BackupRestore;
import io.walferry.backup.BaseBackup;
import io.walferry.backup.RecoveryTarget;
import io.walferry.backup.TablespacePlacement;
import io.walferry.config.AuxConfig;
import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ConfigValue;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationReadiness;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.PgControl;
import io.walferry.repository.Repository;
import io.walferry.repository.format.EncodeGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a configured node into a replica of the current primary from the repository's newest backup (the
 * primary's data directory is never read): streaming through a physical replication slot with the archive
 * as fallback, or replaying from the archive alone (another account, no network path). It checks and
 * prepares what the primary must provide, copies the aux directories (aux_directories) from the repositories so that
 * the replica serves, and once promoted starts, as the primary does, starts the replica and returns once it is in
 * recovery and has caught up.
 */
public final class ReplicaProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaProvisioner.class);

    public enum Mode { STREAMING, ARCHIVE }

    /**
     * What was done: the backup used, the primary followed (none for an isolated archive replica), the LSN caught up to,
     * where the replica's server writes its log, and what each aux directory's pull did (its problems, if any, left
     * for the node's agent to retry).
     */
    public record Result(String node, Mode mode, String backup, Optional<String> primary, Optional<String> slot, Lsn caughtUpTo,
                         Path serverLog, List<AuxSync.Pulled> aux) {
    }

    private final WalferryConfig config;
    private final PgConnector pg;
    private final PgControl control;
    private final Repository repository;
    private final String restoreCommand;
    private final BaseBackup.Progress progress;

    public ReplicaProvisioner(WalferryConfig config, PgConnector pg, PgControl control, Repository repository, String restoreCommand,
                              BaseBackup.Progress progress) {
        this.config = config;
        this.pg = pg;
        this.control = control;
        this.repository = repository;
        this.restoreCommand = restoreCommand;
        this.progress = progress;
    }

    public Result create(NodeConfig node, Mode mode, String backupId, boolean force, TablespacePlacement tablespaces, Duration timeout) {
        Topology topology = new Topology(config, pg);
        if (topology.isRunningPrimary(node)) {
            throw WalferryException.refused("node " + node.name() + " is the running primary: a replica is made of another node",
                    "name the node that is to become a replica with --node (walferry status shows each node's role)");
        }
        Optional<NodeConfig> primary = topology.primary(node.name());
        if (mode == Mode.STREAMING && primary.isEmpty()) {
            throw WalferryException.postgres("a streaming replica needs a reachable primary, and none of the configured nodes is one",
                    "start the primary, or use --mode archive for a replica without a network path to it", null);
        }
        List<String> settings = new ArrayList<>(List.of("port = " + node.port(), "hot_standby = on"));
        Optional<String> slot = Optional.empty();
        if (mode == Mode.STREAMING) {
            slot = Optional.of(Topology.slotName(node.name()));
            checkPrimary(primary.get());
            boolean slotSync = SlotSync.wanted(config, pg, primary.get());
            settings.add("primary_conninfo = " + ConfigValue.quote(conninfo(primary.get(), node.name(), config.connection(), slotSync)));
            settings.add("primary_slot_name = " + ConfigValue.quote(slot.get()));
            if (slotSync) {
                settings.addAll(SlotSync.lines());
            }
        } else {
            // The restore drops the backup's own primary_conninfo from postgresql.auto.conf, but postgresql.conf
            // (a backup of a standby) may set one too: an archive replica must not stream from it.
            settings.add("primary_conninfo = ''");
            settings.add("primary_slot_name = ''");
        }
        BackupManifest backup = new BackupCatalog(repository).pick(backupId);
        LOG.info("restoring backup {} into {} for replica {}", backup.id(), node.dataDirectory(), node.name());
        new BackupRestore(repository, backup, new BackupRestore.Options(config.archive().workers(), RecoveryTarget.none(), true,
                restoreCommand, force, tablespaces, settings), progress).run(node.dataDirectory());
        List<AuxSync.Pulled> aux = pullAuxDirectories(node);
        // The slot only now, so that a restore that failed leaves none holding WAL on the primary; the replica
        // gets the WAL from the backup's start to the slot's from the archive (its restore_command).
        boolean slotCreated = slot.isPresent() && createSlot(primary.get(), slot.get());
        try {
            control.start(node.dataDirectory());
        } catch (WalferryException e) {
            if (slotCreated) {
                Topology.dropSlot(pg, primary.get(), slot.get());
            }
            throw e;
        }
        Lsn caughtUp = CatchUp.await(pg, node, mode == Mode.ARCHIVE, primary, timeout);
        return new Result(node.name(), mode, backup.id(), primary.map(NodeConfig::name), slot, caughtUp,
                PgControl.logFile(node.dataDirectory()), aux);
    }

    /**
     * Makes each aux directory of {@code node} hold what the newest manifest lists, before its server starts (an
     * extension finds its files from the first query). What cannot be pulled is reported, not fatal: the data directory
     * is whole, and the node's agent pulls again every aux_interval.
     */
    private List<AuxSync.Pulled> pullAuxDirectories(NodeConfig node) {
        if (config.aux().directories().isEmpty()) {
            return List.of();
        }
        AuxSync sync = new AuxSync(config, node, AuxSync.repositories(config), EncodeGate.NONE, progress::copied);
        List<AuxSync.Pulled> out = new ArrayList<>();
        for (AuxConfig.Directory d : sync.directories(null)) {
            AuxSync.Pulled p = sync.pull(d, false);
            LOG.info("aux directory {}: {} files written, {} unchanged{}", d.name(), p.written(), p.unchanged(),
                    p.manifest().map(m -> " (manifest " + m + ")").orElse(" (no manifest stored yet)"));
            out.add(p);
        }
        return out;
    }

    /** Checks what a streaming replica needs of the primary, before anything is restored. */
    void checkPrimary(NodeConfig primary) {
        ReplicationReadiness r;
        try (Connection c = pg.connect(primary)) {
            r = ReplicationReadiness.read(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot check primary " + primary.name() + ": " + e.getMessage(), null, e);
        }
        if (r.walLevel().equals("minimal") || r.maxWalSenders() == 0 || r.maxReplicationSlots() == 0) {
            throw WalferryException.postgres("primary " + primary.name() + " cannot serve a streaming replica (wal_level "
                    + r.walLevel() + ", max_wal_senders " + r.maxWalSenders() + ", max_replication_slots " + r.maxReplicationSlots() + ")",
                    "set wal_level = replica, max_wal_senders and max_replication_slots above 0 on the primary, and restart it", null);
        }
        if (!r.roleMayReplicate()) {
            throw WalferryException.postgres("role " + config.connection().user() + " on " + primary.name()
                    + " may not replicate", "run on the primary: ALTER ROLE " + config.connection().user() + " REPLICATION", null);
        }
        if (r.hbaReplicationLines().orElse(1L) == 0) {
            LOG.warn("pg_hba.conf of {} has no 'replication' line: add one such as 'host replication {} <replica address>/32 "
                    + "scram-sha-256' and reload it, or the replica cannot stream", primary.name(), config.connection().user());
        }
    }

    /** Makes the replica's slot on the primary; true if this call created it (an existing one is the replica's from before). */
    boolean createSlot(NodeConfig primary, String slot) {
        try (Connection c = pg.connect(primary)) {
            return ReplicationSlots.ensurePhysical(c, slot);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot create replication slot " + slot + " on " + primary.name() + ": " + e.getMessage(),
                    "the role needs REPLICATION (or superuser) to create a replication slot", e);
        }
    }

    /**
     * primary_conninfo for a replica: the same role and TLS settings walferry uses for the primary's host
     * (channel_binding needs libpq 13 or later, so it is written only when not libpq's default), no password
     * (the replica reads it from connection.passfile, or the server user's ~/.pgpass).
     */
    static String conninfo(NodeConfig primary, String applicationName, ConnectionConfig c) {
        return conninfo(primary, applicationName, c, false);
    }

    /** {@code withDatabase}: with dbname (connection.database), which the slot sync worker of PostgreSQL 17 needs. */
    static String conninfo(NodeConfig primary, String applicationName, ConnectionConfig c, boolean withDatabase) {
        ConnectionConfig.Tls tls = c.tlsFor(primary.host());
        StringBuilder b = new StringBuilder();
        b.append("host=").append(conninfoValue(primary.host())).append(" port=").append(primary.port())
                .append(" user=").append(conninfoValue(c.user())).append(" application_name=").append(conninfoValue(applicationName))
                .append(" sslmode=").append(tls.sslMode());
        if (!tls.channelBinding().equals("prefer")) {
            b.append(" channel_binding=").append(tls.channelBinding());
        }
        c.sslRootCert().ifPresent(p -> b.append(" sslrootcert=").append(conninfoValue(p.toString())));
        c.sslCert().ifPresent(p -> b.append(" sslcert=").append(conninfoValue(p.toString())));
        c.sslKey().ifPresent(p -> b.append(" sslkey=").append(conninfoValue(p.toString())));
        c.passfile().ifPresent(p -> b.append(" passfile=").append(conninfoValue(p.toString())));
        if (withDatabase) {
            b.append(" dbname=").append(conninfoValue(c.database()));
        }
        return b.toString();
    }

    /** A conninfo value as libpq reads it: quoted, with \\ and \' escaped, when it is empty or holds a space or quote. */
    private static String conninfoValue(String v) {
        if (!v.isEmpty() && v.chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == '\'' || ch == '\\')) {
            return v;
        }
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
