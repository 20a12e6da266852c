package io.walferry.testing;

import io.walferry.postgres.PgBinaries;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One real PostgreSQL 15 cluster for tests: its own directory, a free loopback TCP port, trust
 * authentication, and WAL settings that allow archiving and replication.
 *
 * <p>Layout: {@code parentDir/name/data} (PGDATA) and {@code parentDir/name/postgres.log}. The server
 * runs as {@link ServerUser#name()}. Binaries come from system property or environment variable
 * {@value #BIN_PROPERTY}, defaulting to {@value #DEFAULT_BIN}.
 */
public final class PgCluster implements AutoCloseable {

    public static final String BIN_PROPERTY = "WALFERRY_TEST_PG_BIN";
    public static final String DEFAULT_BIN = "/usr/lib/postgresql/15/bin";

    private static final Duration PG_CTL_WAIT = Duration.ofSeconds(60);
    // pg_ctl's own -t bounds the wait; this only catches a hung pg_ctl.
    private static final Duration PG_CTL_PROCESS_TIMEOUT = PG_CTL_WAIT.plusSeconds(30);
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CRASH_DEADLINE = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    private static final Pattern CONF_KEY = Pattern.compile("[A-Za-z0-9_.]+");

    /** Ports handed out in this JVM, so two clusters initialised before either starts never collide. */
    private static final Set<Integer> ALLOCATED_PORTS = new HashSet<>();

    private final String name;
    private final Path bin;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private volatile int port;

    private PgCluster(String name, Path bin, Path baseDir, int port) {
        this.name = name;
        this.bin = bin;
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.logFile = baseDir.resolve("postgres.log");
        this.port = port;
    }

    /** Creates (but does not start) a cluster with the default 16 MB WAL segments. */
    public static PgCluster init(Path parentDir, String name) {
        return init(parentDir, name, 0);
    }

    /**
     * Creates (but does not start) a cluster in {@code parentDir/name}.
     *
     * @param walSegmentSizeMb WAL segment size in MB (a power of two from 1 to 1024), or 0 for the default
     */
    public static PgCluster init(Path parentDir, String name, int walSegmentSizeMb) {
        return init(parentDir, name, walSegmentSizeMb, binDir());
    }

    /** As {@link #init(Path, String, int)}, with the server programs of {@code bin} (another major version, say). */
    public static PgCluster init(Path parentDir, String name, int walSegmentSizeMb, Path bin) {
        Path baseDir = parentDir.toAbsolutePath().normalize().resolve(name);
        PgCluster c = new PgCluster(name, bin, baseDir, allocatePort());
        try {
            Files.createDirectories(c.dataDir);
            if (!Files.exists(c.logFile)) {
                Files.createFile(c.logFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cluster directory " + baseDir, e);
        }
        ServerUser.makeTraversable(baseDir);
        ServerUser.chown(baseDir);

        List<String> initdb = new ArrayList<>(List.of(
                bin.resolve("initdb").toString(), "-D", c.dataDir.toString(), "-U", "postgres",
                "--auth=trust", "--no-instructions", "-E", "UTF8", "--locale=C"));
        if (walSegmentSizeMb > 0) {
            initdb.add("--wal-segsize=" + walSegmentSizeMb);
        }
        c.runAsServer(initdb, INITDB_TIMEOUT);

        c.appendConf("""

                # ---- walferry test harness ----
                listen_addresses = '127.0.0.1'
                port = %d
                unix_socket_directories = ''
                wal_level = replica
                max_wal_senders = 10
                max_replication_slots = 10
                fsync = on
                logging_collector = off
                log_min_messages = info
                shared_buffers = 32MB
                max_wal_size = 1GB
                """.formatted(c.port));
        // Only loopback TCP: there is no unix socket, and nothing else should be able to connect.
        c.writeDataFile("pg_hba.conf", """
                # walferry test harness: trust loopback only
                host    all             all             127.0.0.1/32    trust
                host    replication     all             127.0.0.1/32    trust
                """, false);
        PgLogOnFailure.register(c);
        return c;
    }

    /**
     * Creates (but does not start) a copy of a running cluster with pg_basebackup, on its own port. With
     * {@code withWal} false the copy holds no WAL and must get it from the archive.
     */
    public static PgCluster baseBackup(PgCluster source, Path parentDir, String name, boolean withWal) {
        Path bin = binDir();
        Path baseDir = parentDir.toAbsolutePath().normalize().resolve(name);
        PgCluster c = new PgCluster(name, bin, baseDir, allocatePort());
        try {
            Files.createDirectories(baseDir);
            Files.createFile(c.logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cluster directory " + baseDir, e);
        }
        ServerUser.makeTraversable(baseDir);
        ServerUser.chown(baseDir);
        c.runAsServer(List.of(bin.resolve("pg_basebackup").toString(), "-h", "127.0.0.1", "-p", String.valueOf(source.port()),
                "-U", "postgres", "-D", c.dataDir.toString(), "-c", "fast", "-X", withWal ? "stream" : "none"), INITDB_TIMEOUT);
        c.appendConf("port = %d\n".formatted(c.port));
        PgLogOnFailure.register(c);
        return c;
    }

    /**
     * A cluster over a data directory that something else made (walferry restore) in
     * {@code parentDir/name/data}, on a port of its own; not started.
     */
    public static PgCluster existing(Path parentDir, String name) {
        return existing(parentDir, name, binDir());
    }

    /** As {@link #existing(Path, String)}, with the server programs of {@code bin} (another major version, say). */
    public static PgCluster existing(Path parentDir, String name, Path bin) {
        Path baseDir = parentDir.toAbsolutePath().normalize().resolve(name);
        PgCluster c = new PgCluster(name, bin, baseDir, allocatePort());
        try {
            Files.createDirectories(baseDir);
            if (!Files.exists(c.logFile)) {
                Files.createFile(c.logFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cluster directory " + baseDir, e);
        }
        ServerUser.makeTraversable(baseDir);
        ServerUser.chown(baseDir);
        PgLogOnFailure.register(c);
        return c;
    }

    /** Sets this cluster's port in its configuration (after a restore copied the source's). */
    public void usePort() {
        appendConf("port = %d\n".formatted(port));
    }

    /** Writes an empty file into the data directory (standby.signal, recovery.signal). */
    public void touch(String fileName) {
        Path p = dataDir.resolve(fileName);
        try {
            Files.writeString(p, "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
        ServerUser.chown(p);
    }

    /** Appends {@code key = 'value'} to postgresql.conf; takes effect on the next start or reload. */
    public void set(String key, String value) {
        if (!CONF_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a configuration parameter name: " + key);
        }
        appendConf(key + " = '" + value.replace("'", "''") + "'\n");
    }

    /**
     * Starts the server and waits until it accepts connections. If the port picked at init was
     * taken by someone else meanwhile, picks another one (see {@link #port()}) and retries.
     */
    public void start() {
        for (int attempt = 1; ; attempt++) {
            long logOffset = logSize();
            ServerUser.Result r = ServerUser.exec(ServerUser.wrap(List.of(
                    pgCtl(), "-D", dataDir.toString(), "-l", logFile.toString(),
                    "-w", "-t", Long.toString(PG_CTL_WAIT.toSeconds()), "start")), baseDir, PG_CTL_PROCESS_TIMEOUT);
            if (r.exitCode() == 0) {
                return;
            }
            String newLog = logSince(logOffset);
            if (attempt < START_ATTEMPTS && newLog.contains("Address already in use") && !isRunning()) {
                port = allocatePort();
                appendConf("port = " + port + "\n");
                continue;
            }
            throw new IllegalStateException("cluster '" + name + "' failed to start: " + r.describe()
                    + "\n---- last 60 lines of " + logFile + " ----\n" + logTail(60));
        }
    }

    /** Fast shutdown (clean checkpoint, disconnects clients); no-op if not running. */
    public void stop() {
        pgCtlStop("fast");
    }

    /** Immediate shutdown: no shutdown checkpoint, so the next start does crash recovery; no-op if not running. */
    public void stopImmediate() {
        pgCtlStop("immediate");
    }

    /**
     * Kills the postmaster and all its children with SIGKILL, leaving the data directory exactly as
     * a crash would (including postmaster.pid), and waits until the processes are gone and the port
     * is free. No-op if not running.
     */
    public void crash() {
        Optional<Long> pid = postmasterPid();
        if (pid.isEmpty() || !isAlive(pid.get())) {
            return;
        }
        List<Long> pids = new ArrayList<>();
        pids.add(pid.get());
        ProcessHandle.of(pid.get()).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        List<String> kill = new ArrayList<>(List.of("kill", "-9"));
        pids.forEach(p -> kill.add(Long.toString(p)));
        // Some may already have exited on their own; what matters is that all are gone below.
        ServerUser.exec(kill, null, Duration.ofSeconds(30));

        Await.until(CRASH_DEADLINE, "cluster '" + name + "''s processes " + pids + " to end and port " + port + " to be free after kill -9",
                () -> pids.stream().noneMatch(PgCluster::isAlive) && portIsFree());
        if (isZombie(pid.get())) {
            // Nobody has reaped the dead postmaster (pg_ctl detached it, and PID 1 in a container may not
            // reap). A zombie still answers kill(pid, 0), so the next postmaster would take the stale
            // postmaster.pid for a live server and refuse to start; remove the file as PostgreSQL would.
            try {
                Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove stale postmaster.pid of " + name, e);
            }
        }
    }

    /** Stops the server (fast) if running, then starts it. */
    public void restart() {
        stop();
        start();
    }

    /** Whether a postmaster for this data directory is alive. */
    public boolean isRunning() {
        return postmasterPid().map(PgCluster::isAlive).orElse(false);
    }

    /** The TCP port on 127.0.0.1; may change if {@link #start()} had to move off a taken port. */
    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    public String name() {
        return name;
    }

    /** The last {@code lines} lines of the server log, or "" if nothing was logged yet. */
    public String logTail(int lines) {
        String text;
        try {
            text = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logFile, e);
        }
        List<String> all = text.lines().toList();
        List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
        return tail.isEmpty() ? "" : String.join("\n", tail) + "\n";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /** A new connection as superuser {@code postgres} to database {@code postgres}; caller closes it. */
    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    /** A new connection as superuser {@code postgres} to {@code database}; caller closes it. */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        // Fail fast instead of hanging a test when the server is down.
        props.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres", props);
    }

    /** First column of the first row as a string, or null if there is no row (or the value is NULL). */
    public String queryString(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** First column of the first row as a long; fails if there is no row or the value is NULL. */
    public long queryLong(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("query returned no rows: " + sql);
            }
            long v = rs.getLong(1);
            if (rs.wasNull()) {
                throw new SQLException("query returned NULL: " + sql);
            }
            return v;
        }
    }

    /** Runs {@code sql} in auto-commit mode. */
    /** Ends the current WAL segment (with a restore point in it, so it is never empty); returns its name. */
    public String switchWal() throws SQLException {
        execute("select pg_create_restore_point('test')");
        return queryString("select pg_walfile_name(pg_switch_wal())");
    }

    /** Waits until the archiver reports {@code segment} (or a later one) archived. */
    public void awaitArchived(String segment, Duration timeout) {
        Await.until(timeout, segment + " to be archived", () ->
                queryLong("select count(*) from pg_stat_archiver where last_archived_wal >= '" + segment + "'") == 1);
    }

    /** The WAL segments in pg_wal up to and including {@code last}, in order. */
    public List<String> walSegmentsUpTo(String last) throws IOException {
        try (Stream<Path> s = Files.list(dataDir().resolve("pg_wal"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}") && n.compareTo(last) <= 0)
                    .sorted().toList();
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute(sql);
        }
    }

    /** Stops the server immediately if running and deletes its directory; best effort, never throws. */
    @Override
    public void close() {
        try {
            if (isRunning()) {
                try {
                    stopImmediate();
                } catch (RuntimeException e) {
                    crash();
                }
            }
        } catch (RuntimeException e) {
            System.err.println("PgCluster '" + name + "': could not stop server on close: " + e);
        } finally {
            PgLogOnFailure.deregister(this);
            try {
                TempDirs.deleteTree(baseDir);
            } catch (RuntimeException e) {
                System.err.println("PgCluster '" + name + "': could not delete " + baseDir + ": " + e);
            }
            synchronized (ALLOCATED_PORTS) {
                ALLOCATED_PORTS.remove(port);
            }
        }
    }

    @Override
    public String toString() {
        return "PgCluster[" + name + ", port " + port + ", " + dataDir + "]";
    }

    // ---- internals ----

    /** The same search users get (docs/configuration.md), with the test override as the explicit choice. */
    private static Path binDir() {
        String configured = System.getProperty(BIN_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(BIN_PROPERTY);
        }
        Optional<Path> explicit = configured == null || configured.isBlank() ? Optional.empty() : Optional.of(Path.of(configured));
        Path bin = PgBinaries.find(explicit, Optional.empty()).directory();
        if (!Files.isExecutable(bin.resolve("initdb"))) {
            throw new IllegalStateException("PostgreSQL binaries not found: no executable initdb in " + bin
                    + ". Install the PostgreSQL 15 server or point system property / environment variable "
                    + BIN_PROPERTY + " at its bin directory.");
        }
        return bin;
    }

    /** A free loopback port that no other test cluster or server of this JVM was given (for an agent's HTTP server, say). */
    public static int allocatePort() {
        synchronized (ALLOCATED_PORTS) {
            for (int i = 0; i < 100; i++) {
                int p;
                try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    p = s.getLocalPort();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot find a free loopback port", e);
                }
                if (ALLOCATED_PORTS.add(p)) {
                    return p;
                }
            }
            throw new IllegalStateException("cannot find a loopback port not already used by a test cluster");
        }
    }

    private boolean portIsFree() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String pgCtl() {
        return bin.resolve("pg_ctl").toString();
    }

    private void pgCtlStop(String mode) {
        if (!isRunning()) {
            return;
        }
        runAsServer(List.of(pgCtl(), "-D", dataDir.toString(), "-m", mode,
                "-w", "-t", Long.toString(PG_CTL_WAIT.toSeconds()), "stop"), PG_CTL_PROCESS_TIMEOUT);
    }

    private String runAsServer(List<String> command, Duration timeout) {
        // Run from the cluster's own directory: the JVM's cwd may be unreadable for the server user.
        return ServerUser.run(ServerUser.wrap(command), baseDir, timeout);
    }

    /** Replaces pg_hba.conf with {@code lines} (takes effect on reload: select pg_reload_conf()). */
    public void hba(String lines) {
        writeDataFile("pg_hba.conf", lines, false);
    }

    private void appendConf(String text) {
        writeDataFile("postgresql.conf", text, true);
    }

    private void writeDataFile(String file, String text, boolean append) {
        Path p = dataDir.resolve(file);
        try {
            // Writing into the existing file keeps its owner (the server user) and mode.
            if (append) {
                Files.writeString(p, text, StandardOpenOption.APPEND);
            } else {
                Files.writeString(p, text, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
    }

    public Optional<Long> postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                return Optional.empty(); // the postmaster is still writing it
            }
            return Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Alive and not a zombie: an unreaped dead process must not count as a running server. */
    private static boolean isAlive(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            String state = procState(stat);
            return state != null && !state.equals("Z") && !state.equals("X");
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static boolean isZombie(long pid) {
        return "Z".equals(procState(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /** The state letter from /proc/PID/stat, or null if there is no such process. */
    private static String procState(Path stat) {
        try {
            String s = Files.readString(stat, StandardCharsets.UTF_8);
            // The command name in parentheses may itself contain spaces or ')'.
            String rest = s.substring(s.lastIndexOf(')') + 1).trim();
            return rest.isEmpty() ? null : rest.substring(0, 1);
        } catch (IOException e) {
            return null;
        }
    }

    private long logSize() {
        try {
            return Files.size(logFile);
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(logFile);
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
