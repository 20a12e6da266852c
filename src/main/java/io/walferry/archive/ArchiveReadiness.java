package io.walferry.archive;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ArchivingSetup;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Whether a node is set up for archiving and replication, with a hint for every problem ({@link #findings}, decided
 * from what {@link ReadinessProbe} read), and then the proof: a switched segment that reaches every repository
 * ({@link #roundTrip}).
 */
public final class ArchiveReadiness {
    private ArchiveReadiness() {
    }

    /**
     * Reads the node, decides, and when every finding passes, archives a segment end to end.
     *
     * @param launcher how the walferry launcher is called, for the archive_command a hint proposes
     */
    public static List<ReadinessFinding> check(PgConnector pg, WalferryConfig config, NodeConfig node, String launcher) throws SQLException {
        try (Connection c = pg.connect(node)) {
            List<ReadinessFinding> findings = new ArrayList<>(findings(ReadinessProbe.read(c, config, node), launcher));
            if (findings.stream().allMatch(ReadinessFinding::ok)) {
                findings.add(roundTrip(c, ArchiveSet.open(config), config.archive().timeout()));
            }
            return findings;
        }
    }

    /** What is wrong or risky in what was read; a pure function of it. */
    public static List<ReadinessFinding> findings(ReadinessProbe probe, String launcher) {
        List<ReadinessFinding> out = new ArrayList<>();
        ArchivingSetup s = probe.setup();
        out.add(new ReadinessFinding("wal_level", s.walLevel().matches("replica|logical"), "wal_level = " + s.walLevel(),
                "ALTER SYSTEM SET wal_level = replica; then restart PostgreSQL"));
        out.add(new ReadinessFinding("archive_mode", s.archiveMode().matches("on|always"), "archive_mode = " + s.archiveMode(),
                "ALTER SYSTEM SET archive_mode = on; then restart PostgreSQL"));
        String cmd = s.archiveCommand();
        out.add(new ReadinessFinding("archive_command", cmd.contains("walferry") && cmd.contains("archive-push") && cmd.contains("%p"),
                "archive_command = '" + cmd + "'", "ALTER SYSTEM SET archive_command = '" + launcher + " archive-push %p'; "
                + "then SELECT pg_reload_conf()"));
        out.add(new ReadinessFinding("max_wal_senders", s.maxWalSenders() >= probe.nodes(), "max_wal_senders = " + s.maxWalSenders(),
                "set max_wal_senders to at least " + Math.max(probe.nodes(), 2) + " (one per replica, plus backups); then restart"));
        List<String> roles = s.replicationRoles();
        out.add(new ReadinessFinding("replication role", !roles.isEmpty(),
                roles.isEmpty() ? "no login role has REPLICATION" : "roles with REPLICATION: " + String.join(", ", roles),
                "CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '...'; and allow it in pg_hba.conf"));
        if (!s.walLogHints() && !s.dataChecksums()) {
            // pg_rewind refuses such a server: an old primary could only rejoin as a new replica from a backup
            out.add(ReadinessFinding.warning("pg_rewind", "wal_log_hints = off and data checksums off: after a failover this server "
                    + "can only rejoin from the newest backup, not with pg_rewind", "ALTER SYSTEM SET wal_log_hints = on; then restart "
                    + "PostgreSQL (or initdb --data-checksums for a new cluster)"));
        }
        for (ReadinessProbe.RepositoryState r : probe.repositories()) {
            out.add(repository(r, probe));
        }
        for (ReadinessProbe.Exposure e : probe.exposures()) {
            String what = e.what();
            e.exposed().ifPresent(why -> out.add(ReadinessFinding.warning(what + " permissions", what + ": " + why,
                    "chmod 700 " + e.top() + " (see docs/security.md)")));
            e.unreadable().ifPresent(why -> out.add(ReadinessFinding.warning(what + " permissions", what + ": cannot read the "
                    + "permissions of " + e.inner() + ": " + why, "run check as the server's OS user")));
        }
        return out;
    }

    private static ReadinessFinding repository(ReadinessProbe.RepositoryState r, ReadinessProbe probe) {
        String name = "repository " + r.name();
        if (r.unreadable().isPresent()) {
            return new ReadinessFinding(name, false, r.unreadable().get().getMessage(), r.unreadable().get().hint());
        }
        if (r.record().isEmpty()) {
            return new ReadinessFinding(name, false, r.location() + ": cluster " + probe.cluster() + " not registered", "run walferry repo-create");
        }
        ClusterRecord rec = r.record().get();
        if (!rec.sameIdentity(probe.identity())) {
            return new ReadinessFinding(name, false, r.location() + " holds system identifier " + rec.systemIdentifier()
                    + ", the server is " + probe.identity().systemIdentifierText(), "point the repository at this cluster's own path");
        }
        return new ReadinessFinding(name, true, r.location() + ": registered, system identifier " + probe.identity().systemIdentifierText(), null);
    }

    /** Closes the current segment and waits until every repository holds it. */
    public static ReadinessFinding roundTrip(Connection c, ArchiveSet archives, Duration timeout) {
        String segment;
        try {
            segment = ServerWal.markAndSwitch(c, "walferry check");
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot switch the server's WAL segment: " + e.getMessage(),
                    "the role needs to run pg_create_restore_point() and pg_switch_wal()", e);
        }
        WalFileName name = WalFileName.parse(segment);
        Deadline deadline = Deadline.after(timeout).lookingEvery(Duration.ofMillis(100));
        List<Repository> missing = new ArrayList<>(archives.repositories());
        boolean arrived = deadline.await(() -> {
            missing.removeIf(r -> r.walHeader(name).isPresent());
            return missing.isEmpty();
        });
        if (arrived) {
            return new ReadinessFinding("archive round trip", true, "switched to a new segment; " + segment + " reached every repository in "
                    + deadline.elapsed().toMillis() + " ms", null);
        }
        return new ReadinessFinding("archive round trip", false, segment + " did not reach " + missing.stream().map(Repository::name)
                .collect(Collectors.joining(", ")) + " within " + timeout.toSeconds() + " s",
                "look at PostgreSQL's log for archive_command errors, and at the agent's log");
    }
}
