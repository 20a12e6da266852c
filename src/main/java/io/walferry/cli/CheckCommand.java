package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.archive.ArchiveSet;
import io.walferry.config.FsRepositoryConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Verifies that a node is set up for archiving and replication, with a hint for every problem, then proves
 * it: switches WAL and waits until the closed segment is in every repository.
 */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Check the server's archiving settings and the repositories, then archive a segment end to end.")
final class CheckCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    /** One check's outcome; a warning passes, but its hint is shown. */
    record Finding(String name, boolean ok, String detail, String hint, boolean warning) {
        Finding(String name, boolean ok, String detail, String hint) {
            this(name, ok, detail, hint, false);
        }

        static Finding warning(String name, String detail, String hint) {
            return new Finding(name, true, detail, hint, true);
        }
    }

    @Override
    public Integer call() throws SQLException, InterruptedException {
        Context ctx = main.context();
        WalferryConfig config = ctx.config();
        NodeConfig node = ctx.node();
        List<Finding> findings = new ArrayList<>();
        try (Connection c = new PgConnector(config.connection()).connect(node)) {
            ClusterIdentity identity = ServerInfo.identity(c);
            Map<String, String> s = settings(c);
            findings.add(new Finding("wal_level", s.get("wal_level").matches("replica|logical"), "wal_level = " + s.get("wal_level"),
                    "ALTER SYSTEM SET wal_level = replica; then restart PostgreSQL"));
            findings.add(new Finding("archive_mode", s.get("archive_mode").matches("on|always"), "archive_mode = " + s.get("archive_mode"),
                    "ALTER SYSTEM SET archive_mode = on; then restart PostgreSQL"));
            String cmd = s.get("archive_command");
            findings.add(new Finding("archive_command", cmd.contains("walferry") && cmd.contains("archive-push") && cmd.contains("%p"),
                    "archive_command = '" + cmd + "'", "ALTER SYSTEM SET archive_command = '" + launcherHint() + " archive-push %p'; "
                    + "then SELECT pg_reload_conf()"));
            int senders = Integer.parseInt(s.get("max_wal_senders"));
            findings.add(new Finding("max_wal_senders", senders >= config.nodes().size(), "max_wal_senders = " + senders,
                    "set max_wal_senders to at least " + Math.max(config.nodes().size(), 2) + " (one per replica, plus backups); then restart"));
            List<String> roles = replicationRoles(c);
            findings.add(new Finding("replication role", !roles.isEmpty(),
                    roles.isEmpty() ? "no login role has REPLICATION" : "roles with REPLICATION: " + String.join(", ", roles),
                    "CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '...'; and allow it in pg_hba.conf"));
            for (RepositoryConfig rc : config.repositories()) {
                findings.add(repositoryFinding(rc, config.cluster(), identity));
            }
            findings.addAll(exposureWarnings(config, node));
            if (findings.stream().allMatch(Finding::ok)) {
                findings.add(roundTrip(c, config, ArchiveSet.open(config)));
            }
        }
        return report(ctx, node, findings);
    }

    private static Map<String, String> settings(Connection c) throws SQLException {
        Map<String, String> s = new HashMap<>();
        try (Statement st = c.createStatement();
             ResultSet r = st.executeQuery("select name, setting from pg_settings where name in "
                     + "('wal_level', 'archive_mode', 'archive_command', 'max_wal_senders', 'archive_timeout')")) {
            while (r.next()) {
                s.put(r.getString(1), r.getString(2));
            }
        }
        return s;
    }

    private static List<String> replicationRoles(Connection c) throws SQLException {
        List<String> roles = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet r = st.executeQuery("select rolname from pg_roles where rolreplication and rolcanlogin order by 1")) {
            while (r.next()) {
                roles.add(r.getString(1));
            }
        }
        return roles;
    }

    private static Finding repositoryFinding(RepositoryConfig rc, String cluster, ClusterIdentity identity) {
        String name = "repository " + rc.name();
        try {
            Optional<ClusterRecord> rec = Repository.open(rc, cluster, false).clusterRecord();
            if (rec.isEmpty()) {
                return new Finding(name, false, rc.describe() + ": cluster " + cluster + " not registered", "run walferry repo-create");
            }
            if (!rec.get().sameIdentity(identity)) {
                return new Finding(name, false, rc.describe() + " holds system identifier " + rec.get().systemIdentifier()
                        + ", the server is " + identity.systemIdentifierText(), "point the repository at this cluster's own path");
            }
            return new Finding(name, true, rc.describe() + ": registered, system identifier " + identity.systemIdentifierText(), null);
        } catch (WalferryException e) {
            return new Finding(name, false, e.getMessage(), e.hint());
        }
    }

    /**
     * A filesystem repository or the spool that other local users can read: walferry makes what it creates in
     * them owner-only, but a directory it did not create keeps its mode (docs/security.md).
     */
    private static List<Finding> exposureWarnings(WalferryConfig config, NodeConfig node) {
        List<Finding> out = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            if (rc instanceof FsRepositoryConfig fs) {
                exposureWarning(out, "repository " + fs.name(), fs.path(), fs.path().resolve(config.cluster()));
            }
        }
        exposureWarning(out, "spool", config.archive().spoolDirectory(), config.spoolFor(node));
        return out;
    }

    private static void exposureWarning(List<Finding> out, String what, java.nio.file.Path top, java.nio.file.Path inner) {
        try {
            PrivateFiles.exposure(top, inner).ifPresent(why -> out.add(Finding.warning(what + " permissions", what + ": " + why,
                    "chmod 700 " + top + " (see docs/security.md)")));
        } catch (java.io.IOException e) {
            out.add(Finding.warning(what + " permissions", what + ": cannot read the permissions of " + inner + ": " + e.getMessage(),
                    "run check as the server's OS user"));
        }
    }

    /** Closes the current segment and waits until every repository holds it. */
    private static Finding roundTrip(Connection c, WalferryConfig config, ArchiveSet archives) throws SQLException, InterruptedException {
        String segment;
        try (Statement st = c.createStatement()) {
            // A restore point guarantees there is WAL to switch away from, even on an idle server.
            st.execute("select pg_create_restore_point('walferry check')");
            try (ResultSet r = st.executeQuery("select pg_walfile_name(pg_switch_wal())")) {
                r.next();
                segment = r.getString(1);
            }
        }
        WalFileName name = WalFileName.parse(segment);
        long start = System.nanoTime();
        long deadline = start + config.archive().timeout().toNanos();
        List<Repository> missing = new ArrayList<>(archives.repositories());
        while (true) {
            missing.removeIf(r -> r.walHeader(name).isPresent());
            if (missing.isEmpty()) {
                return new Finding("archive round trip", true, "switched to a new segment; " + segment + " reached every repository in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms", null);
            }
            if (System.nanoTime() > deadline) {
                return new Finding("archive round trip", false, segment + " did not reach " + missing.stream().map(Repository::name)
                        .reduce((a, b) -> a + ", " + b).orElse("") + " within " + config.archive().timeout().toSeconds() + " s",
                        "look at PostgreSQL's log for archive_command errors, and at the agent's log");
            }
            Thread.sleep(100);
        }
    }

    private int report(Context ctx, NodeConfig node, List<Finding> findings) {
        PrintWriter out = main.out();
        boolean ok = findings.stream().allMatch(Finding::ok);
        if (ctx.json()) {
            ObjectNode o = Output.object().put("node", node.name()).put("ok", ok);
            ArrayNode a = o.putArray("checks");
            findings.forEach(f -> a.addObject().put("check", f.name()).put("ok", f.ok()).put("warning", f.warning())
                    .put("detail", f.detail()).put("hint", f.ok() && !f.warning() ? null : f.hint()));
            Output.json(out, o);
        } else {
            out.printf("node %s (%s:%d)%n", node.name(), node.host(), node.port());
            for (Finding f : findings) {
                boolean hint = (!f.ok() || f.warning()) && f.hint() != null;
                out.printf("  %-4s  %s%s%n", !f.ok() ? "FAIL" : f.warning() ? "WARN" : "ok", f.detail(), hint ? "\n        hint: " + f.hint() : "");
            }
            long warnings = findings.stream().filter(Finding::warning).count();
            out.println((ok ? "all checks passed" : "some checks failed") + (warnings == 0 ? "" : " (" + warnings
                    + (warnings == 1 ? " warning)" : " warnings)")));
        }
        return ok ? 0 : 1;
    }

    private static String launcherHint() {
        String launcher = System.getProperty("walferry.launcher");
        return launcher != null ? launcher : "walferry";
    }
}
