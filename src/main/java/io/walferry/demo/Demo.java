package io.walferry.demo;

import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.archive.RestoreCommandLine;
import io.walferry.backup.BackupManifest;
import io.walferry.backup.BaseBackup;
import io.walferry.backup.TablespacePlacement;
import io.walferry.config.ConfigLoader;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.monitor.ClusterStatus;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.DemoOrders;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.ServerInfo;
import io.walferry.replica.ReplicaProvisioner;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.repository.Repository;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The whole flow on one machine, told in plain words: a primary ("us-east-1") archiving through the walferry
 * agent into a repository, a base backup, a streaming replica ("us-west-2") and an archive-only replica
 * ("eu-central-1") made from it, a write workload with live status, and at the end a check that every row
 * the primary acknowledged is on every replica.
 */
public final class Demo {
    /**
     * How the demo runs. {@code repositoriesFrom}: a configuration file whose repositories the demo uses
     * instead of a filesystem repository of its own (walferry -c FILE demo).
     */
    public record Options(Path dir, int seconds, boolean keep, Optional<Path> pgBin, String launcher, Path cache,
                          Optional<Path> repositoriesFrom) {
    }

    /** Where the demo tells what it does. */
    public interface View {
        void say(String line);

        void status(List<ClusterStatus.Node> nodes);
    }

    private static final String[] NAMES = {"us-east-1", "us-west-2", "eu-central-1"};
    private static final String PASSWORD = "postgres.password";
    private static final String PASSFILE = "pgpass";
    private static final String ROUTER_USERS = "router-users";

    private final Options o;
    private final View view;
    private final List<Path> started = new ArrayList<>();
    private DemoAgents agents;
    /** walferry dashboard's port, then each node's agent's metrics port. */
    private int[] monitoringPorts;
    private String dashboardUrl;
    /** The router's rw and ro ports: applications write and read through them. */
    private int[] routerPorts;
    private DemoEtcd etcd;
    private PgControl control;
    private final String cluster;

    public Demo(Options options, View view) {
        this.o = options;
        this.view = view;
        // In the user's repositories, a name of its own each run: a repository refuses a second server under
        // one cluster name, and the previous run's server is gone.
        this.cluster = options.repositoriesFrom().isEmpty() ? "demo"
                : "demo-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC).format(Instant.now());
    }

    public int run() {
        try {
            return steps();
        } finally {
            if (!o.keep()) {
                stopAll();
            }
        }
    }

    private int steps() {
        view.say("walferry demo: a primary in \"us-east-1\", a streaming replica in \"us-west-2\" and an archive-only replica in "
                + "\"eu-central-1\", all on this machine on loopback ports, under " + o.dir());
        clean();
        PgBinaries bin;
        if (o.pgBin().isPresent()) {
            bin = PgBinaries.find(o.pgBin(), Optional.empty()); // as asked, or a clear error
        } else {
            try {
                bin = PgBinaries.find(Optional.empty(), Optional.empty());
            } catch (WalferryException none) {
                bin = EmbeddedPostgres.obtain(o.cache(), view::say);
            }
        }
        control = new PgControl(bin);
        view.say("Using PostgreSQL from " + bin.directory());
        int[] ports = {freePort(), freePort(), freePort()};
        monitoringPorts = new int[]{freePort(), freePort(), freePort(), freePort()};
        routerPorts = new int[]{freePort(), freePort()};
        Path config = writeConfig(bin, ports, Optional.empty());
        agents = new DemoAgents(o.dir(), o.launcher(), config);
        o.repositoriesFrom().ifPresent(f -> view.say("Using the repositories configured in " + f + ", for a cluster named " + cluster
                + ": what the demo stores stays there under that name"));
        Path primaryData = o.dir().resolve(NAMES[0]);
        LocalServer.initdb(bin, primaryData, ports[0], o.dir(), o.launcher() + " -c " + config + " archive-push %p", o.dir().resolve(PASSWORD));
        control.start(primaryData);
        started.add(primaryData);
        view.say("Started the primary us-east-1 on port " + ports[0] + "; its archive_command hands WAL to walferry");

        WalferryConfig cfg = new ConfigLoader(Map.of()).load(config);
        PgConnector pg = new PgConnector(cfg.connection());
        NodeConfig primary = cfg.node(NAMES[0]).orElseThrow();
        Repository repo = Repository.open(cfg.repositories().get(0), cfg.cluster(), true);
        try (Connection c = pg.connect(primary)) {
            for (io.walferry.config.RepositoryConfig rc : cfg.repositories()) {
                Repository r = Repository.open(rc, cfg.cluster(), true);
                ClusterRecord rec = r.register(ClusterRecord.of(cfg.cluster(), ServerInfo.identity(c), Instant.now().toString(), "walferry demo"));
                view.say("Registered cluster " + cfg.cluster() + " in repository " + r.describe() + " (system identifier "
                        + rec.systemIdentifier() + ")");
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot reach the primary: " + e.getMessage(), null, e);
        }
        agents.start(NAMES[0]);
        view.say("Started the walferry agent: it archives WAL in parallel, ahead of PostgreSQL's archiver");
        dashboardUrl = agents.startDashboard();
        view.say("Dashboard: " + dashboardUrl + " (open it to watch the cluster while the demo writes; it reads what "
                + "walferry status reads, every 2 s)");

        on(pg, primary, c -> DemoOrders.create(c, 50000));
        view.say("Created table orders with 50000 rows");

        BackupManifest b;
        try (Connection c = pg.connect(primary)) {
            b = new BaseBackup(primary, new ArchivePusher(ArchiveSet.open(cfg), cfg.archive().compression()), repo.requireClusterRecord(),
                    new BaseBackup.Options(2,
                    cfg.archive().compression(), 64L << 20, Duration.ofMinutes(2)), (done, total) -> { }).run(c, () -> { });
        } catch (SQLException e) {
            throw WalferryException.postgres("backup failed: " + e.getMessage(), null, e);
        }
        view.say("Took base backup " + b.id() + " (" + b.files().size() + " files, " + (b.bytes() >> 20) + " MB); it is complete "
                + "because WAL " + b.startWal() + " to " + b.stopWal() + " is in the repository");

        String restoreCommand = new RestoreCommandLine(o.launcher(), config).render();
        ReplicaProvisioner provisioner = new ReplicaProvisioner(cfg, pg, control, repo, restoreCommand, (d, t) -> { });
        NodeConfig west = cfg.node(NAMES[1]).orElseThrow();
        started.add(west.dataDirectory());
        ReplicaProvisioner.Result w = provisioner.create(west, ReplicaProvisioner.Mode.STREAMING, b.id(), true, TablespacePlacement.NONE, Duration.ofMinutes(3));
        view.say("Created replica us-west-2 from the backup: it streams from us-east-1 through replication slot " + w.slot().orElse("")
                + ", with the archive as fallback");
        NodeConfig eu = cfg.node(NAMES[2]).orElseThrow();
        started.add(eu.dataDirectory());
        provisioner.create(eu, ReplicaProvisioner.Mode.ARCHIVE, b.id(), true, TablespacePlacement.NONE, Duration.ofMinutes(3));
        view.say("Created replica eu-central-1 from the backup: it has no connection to the primary and replays only from the archive");

        agents.startRouter();
        view.say("Started walferry router: applications write through 127.0.0.1:" + routerPorts[0] + " (rw, to the primary) and read "
                + "through 127.0.0.1:" + routerPorts[1] + " (ro, to a streaming replica within max_lag, else the primary); transaction pooling");
        view.say("Writing through the router for " + o.seconds() + " s, and reading through it; status every second:");
        long acknowledged = workload(pg, primary, cfg);
        view.say("Stopped writing: the primary acknowledged " + acknowledged + " rows in all");
        on(pg, primary, ServerWal::switchSegment);
        boolean all = true;
        for (NodeConfig r : List.of(west, eu)) {
            long rows = awaitRows(pg, r, acknowledged, Duration.ofMinutes(2));
            boolean ok = rows == acknowledged;
            all &= ok;
            view.say((ok ? "OK   " : "FAIL ") + r.name() + " holds " + rows + " of the " + acknowledged + " rows");
        }
        view.status(new ClusterStatus(cfg, pg).read());
        view.say(all ? "Every row written is on every replica." : "Some rows are missing on a replica: see the status above and " + o.dir());

        boolean failover = true;
        Optional<Path> etcdBinary = DemoEtcd.binary();
        if (etcdBinary.isEmpty()) {
            view.say("Skipping the failover act: it needs etcd (Debian: apt-get install etcd-server; run as root, ./walferry demo "
                    + "installs it)");
        } else {
            etcd = DemoEtcd.start(etcdBinary.get(), o.dir(), freePort(), freePort());
            writePid("etcd.pid", etcd.pid());
            Map<String, Integer> api = new java.util.LinkedHashMap<>();
            for (String n : NAMES) {
                api.put(n, freePort());
            }
            writeConfig(bin, ports, Optional.of(new HaPart(etcd.endpoint(), api)));
            WalferryConfig ha = new ConfigLoader(Map.of()).load(config);
            dashboardUrl = agents.restartDashboard(); // it reads the configuration once: now with ha:, it shows the HA decisions too
            agents.restartRouter(); // now it follows the HA leader key
            view.say("Act two, automatic failover: etcd runs on " + etcd.endpoint() + ", and walferry.yaml has an ha: section (leader "
                    + "lease " + ha.ha().orElseThrow().ttl().toSeconds() + " s, synchronous: on)");
            failover = new DemoFailover(view, ha, pg, control, agents, o.dir(), router("rw", routerPorts[0])).run(NAMES[0], NAMES[1], NAMES[2]);
            view.status(new ClusterStatus(ha, pg).read());
            view.say(failover ? "No acknowledged row was lost in the failover." : "Some acknowledged rows are missing: see the agents' logs in "
                    + o.dir());
        }
        if (o.keep()) {
            view.say("Everything keeps running (--keep), the dashboard too: " + dashboardUrl + ". Configuration: " + config
                    + "; try: walferry -c " + config + " status");
            view.say("Stop it with: " + stopCommand());
        } else {
            view.say("Stopping the agents, the servers and etcd; the data stays under " + o.dir());
        }
        return all && failover ? 0 : 1;
    }

    /** With --keep: the agents first (else they start the servers again), then the watchdogs, the servers and etcd. */
    private String stopCommand() {
        List<String> pids = new ArrayList<>(agents.pids().stream().map(String::valueOf).toList());
        for (String n : NAMES) {
            DemoAgents.watchdogPid(o.dir().resolve("spool").resolve(cluster).resolve(n).resolve("ha"), o.dir()).ifPresent(p -> pids.add(String.valueOf(p)));
        }
        String servers = String.join(" && ", started.stream().map(d -> "pg_ctl -D " + d + " stop").toList());
        return (pids.isEmpty() ? "" : "kill " + String.join(" ", pids) + " && ") + servers
                + (etcd == null ? "" : " && kill " + etcd.pid());
    }

    /** The ha: part of the demo's configuration: etcd's address and each agent's API port. */
    private record HaPart(String etcd, Map<String, Integer> apiPorts) {
    }

    private void writePid(String name, long pid) {
        try {
            Files.writeString(o.dir().resolve(name), pid + "\n");
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot write " + o.dir().resolve(name) + ": " + e.getMessage(), null, e);
        }
    }

    /** One of the router's endpoints, as a server a client connects to. */
    private static PgConnector.Server router(String endpoint, int port) {
        return new PgConnector.Server("the router's " + endpoint + " endpoint", "127.0.0.1", port, "connection");
    }

    private long workload(PgConnector pg, NodeConfig primary, WalferryConfig cfg) {
        AtomicLong acknowledged = new AtomicLong(countRows(pg, primary));
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (Connection c = pg.connect(router("rw", routerPorts[0]), false, new java.util.Properties())) {
                while (!stop.get()) {
                    // committed (autocommit) before it is counted: only acknowledged rows are checked on the replicas
                    acknowledged.addAndGet(DemoOrders.insertBatch(c, 200));
                }
            } catch (SQLException | WalferryException e) {
                view.say("the writer stopped: " + e.getMessage());
            }
        }, "demo-writer");
        writer.start();
        Map<Integer, Integer> readsByPort = new java.util.concurrent.ConcurrentHashMap<>();
        Thread reader = new Thread(() -> {
            try (Connection c = pg.connect(router("ro", routerPorts[1]), false, new java.util.Properties())) {
                Deadline pace = Deadline.after(Duration.ofDays(1)).lookingEvery(Duration.ofMillis(100));
                while (!stop.get()) {
                    readsByPort.merge(DemoOrders.readOne(c), 1, Integer::sum);
                    pace.pause();
                }
            } catch (SQLException | WalferryException e) {
                view.say("the reader stopped: " + e.getMessage());
            }
        }, "demo-reader");
        reader.start();
        Deadline end = Deadline.after(Duration.ofSeconds(o.seconds())).lookingEvery(Duration.ofSeconds(1));
        ClusterStatus status = new ClusterStatus(cfg, pg);
        try {
            while (!end.passed()) {
                view.status(status.read());
                end.pause();
            }
        } finally {
            stop.set(true);
        }
        try {
            writer.join(30_000);
            reader.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> where = new ArrayList<>();
        for (NodeConfig n : cfg.nodes()) {
            where.add(readsByPort.getOrDefault(n.port(), 0) + " on " + n.name());
        }
        view.say("Reads through the router's ro endpoint: " + String.join(", ", where) + " (eu-central-1 does not stream, so the "
                + "router does not send it reads)");
        return acknowledged.get();
    }

    private long awaitRows(PgConnector pg, NodeConfig n, long rows, Duration timeout) {
        AtomicLong have = new AtomicLong(-1);
        Deadline.after(timeout).lookingEvery(Duration.ofMillis(500)).await(() -> {
            try {
                have.set(countRows(pg, n));
            } catch (WalferryException e) {
                // not reachable for a moment: try again until the deadline
            }
            return have.get() >= rows;
        });
        return have.get();
    }

    private static long countRows(PgConnector pg, NodeConfig n) {
        try (Connection c = pg.connect(n)) {
            return DemoOrders.count(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot count rows on " + n.name() + ": " + e.getMessage(), null, e);
        }
    }

    private interface Step {
        void on(Connection c) throws SQLException;
    }

    private static void on(PgConnector pg, NodeConfig n, Step step) {
        try (Connection c = pg.connect(n)) {
            step.on(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("on " + n.name() + ": " + e.getMessage(), null, e);
        }
    }

    /** The demo's walferry.yaml: written once with new secrets, and again with an ha: section for the second act. */
    private Path writeConfig(PgBinaries bin, int[] ports, Optional<HaPart> ha) {
        StringBuilder y = new StringBuilder("cluster: " + cluster + "\nnodes:\n");
        for (int i = 0; i < NAMES.length; i++) {
            y.append("  - name: ").append(NAMES[i]).append("\n    region: ").append(NAMES[i]).append("\n    host: 127.0.0.1\n    port: ")
                    .append(ports[i]).append("\n    data_directory: ").append(o.dir().resolve(NAMES[i])).append("\n    bin_directory: ")
                    .append(bin.directory()).append('\n');
            if (ha.isPresent()) {
                y.append("    api_port: ").append(ha.get().apiPorts().get(NAMES[i])).append('\n');
            }
            y.append("    metrics_port: ").append(monitoringPorts[i + 1]).append('\n');
        }
        y.append("monitoring:\n  dashboard:\n    port: ").append(monitoringPorts[0]).append('\n');
        y.append("router:\n  users_file: ").append(o.dir().resolve(ROUTER_USERS)).append("\n  endpoints:\n    rw: { port: ").append(routerPorts[0])
                .append(" }\n    ro: { port: ").append(routerPorts[1]).append(" }\n");
        y.append(o.repositoriesFrom().map(DemoRepositories::section)
                .orElse("repositories:\n  - name: repository\n    type: fs\n    path: " + o.dir().resolve("repository") + "\n"));
        y.append("archive:\n  compression: lz4\n  workers: 2\n  spool_directory: ").append(o.dir().resolve("spool")).append('\n');
        // The servers take scram-sha-256 only, on loopback and on a socket in the private demo directory: no other
        // local user may connect. The password is random, in files only this user can read; replicas read it from
        // the passfile (primary_conninfo carries none).
        y.append("connection:\n  user: postgres\n  sslmode: disable\n  password: ${file:").append(o.dir().resolve(PASSWORD))
                .append("}\n  passfile: ").append(o.dir().resolve(PASSFILE)).append('\n');
        // A short lease and loop for a demo that should not take long; Patroni's defaults are 30 s and 10 s.
        ha.ifPresent(h -> y.append("ha:\n  etcd:\n    endpoints: ").append(h.etcd()).append("\n  ttl: 10s\n  loop_wait: 1s\n  retry_timeout: 2s\n")
                .append("  synchronous: on\n  synchronous_count: 1\n"));
        Path config = o.dir().resolve("walferry.yaml");
        try {
            if (ha.isEmpty()) {
                String secret = java.util.HexFormat.of().formatHex(randomBytes(24));
                privateFile(o.dir().resolve(PASSWORD), secret + "\n");
                privateFile(o.dir().resolve(PASSFILE), "127.0.0.1:*:*:postgres:" + secret + "\n");
                privateFile(o.dir().resolve(ROUTER_USERS), "\"postgres\" \"" + secret + "\"\n"); // clients log in to the router as to a server
                privateFile(config, y.toString());
            } else {
                // replaced whole: a server's archive_command may read it at any moment
                Path tmp = o.dir().resolve("walferry.yaml.tmp");
                privateFile(tmp, y.toString());
                Files.move(tmp, config, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot write " + config + ": " + e.getMessage(), null, e);
        }
        return config;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    private static void privateFile(Path p, String content) throws IOException {
        Files.createFile(p, PrivateFiles.FILE);
        Files.writeString(p, content);
    }

    /**
     * A previous run's servers and agent are stopped, and its files removed; only in a directory that
     * {@link DemoDirectory} says nobody else can have planted or written in.
     */
    private void clean() {
        try {
            Optional<String> refusal = DemoDirectory.refusal(o.dir());
            if (refusal.isPresent()) {
                throw WalferryException.config("the demo will not use " + o.dir() + ": " + refusal.get(),
                        "pass --dir with a new directory (the demo starts servers there and deletes what an earlier demo left)");
            }
            if (Files.isDirectory(o.dir(), LinkOption.NOFOLLOW_LINKS)) {
                DemoAgents.stopEarlier(o.dir());
                for (String n : NAMES) {
                    Path d = o.dir().resolve(n);
                    if (DemoDirectory.ours(d) && Files.isRegularFile(d.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS)) {
                        try {
                            new PgControl(PgBinaries.find(o.pgBin(), Optional.empty())).stop(d, "immediate");
                        } catch (WalferryException ignored) {
                            // no server binaries yet, or it is not running: removed below all the same
                        }
                    }
                }
                try (Stream<Path> s = Files.walk(o.dir())) { // links are removed, never followed
                    for (Path p : s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(o.dir())).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            PrivateFiles.createDirectories(o.dir());
            Files.setPosixFilePermissions(o.dir(), PosixFilePermissions.fromString("rwx------"));
            Files.createFile(o.dir().resolve(DemoDirectory.MARKER), PrivateFiles.FILE);
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot prepare " + o.dir() + ": " + e.getMessage(), "pass --dir DIR", e);
        }
    }

    private void stopAll() {
        if (agents != null) {
            agents.stopAll(); // first: an HA agent starts a stopped server again
            try {
                DemoAgents.stopEarlier(o.dir()); // the watchdogs the agents started
            } catch (IOException e) {
                view.say("could not stop the watchdogs: " + e.getMessage());
            }
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                control.stop(started.get(i), "fast");
            } catch (RuntimeException e) {
                view.say("could not stop " + started.get(i) + ": " + e.getMessage());
            }
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "no free port: " + e.getMessage(), null, e);
        }
    }
}
