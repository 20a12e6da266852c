package io.walferry.testing;

import io.walferry.cli.Main;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * walferry as a user runs it against one test cluster: a configuration file, a repository and a spool
 * directory owned by the server's OS user, and the real launcher script and jar (copied once to /tmp so
 * that the server's OS user can run them, whatever directory the build ran in).
 */
public final class WalferryFixture {
    private static Path launcher;

    private final Path dir;
    private final Path config;
    private final Path repo;
    private final Path spool;
    private final StringBuilder extraRepositories = new StringBuilder();
    private List<PgCluster> nodes;
    private String archiveYaml;
    private String repositoriesYaml;
    private String haYaml;
    private String extraYaml;
    private java.util.Map<String, String> nodeYaml = java.util.Map.of();
    /** The umask the launcher is started with (null: this JVM's). */
    private String umask;

    public record Result(int exitCode, String out, String err) {
        public String all() {
            return out + err;
        }
    }

    public WalferryFixture(Path dir, PgCluster node, String archiveYaml) {
        this.dir = dir;
        this.repo = dir.resolve("repo");
        this.spool = dir.resolve("spool");
        this.config = dir.resolve("walferry.yaml");
        try {
            Files.createDirectories(repo);
            Files.createDirectories(spool);
            writeConfig(List.of(node), archiveYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerUser.makeTraversable(dir);
        ServerUser.chown(dir);
    }

    /** Adds a second (third...) filesystem repository to the configuration and returns its path. */
    public Path addRepository(String name, boolean required) {
        Path path = dir.resolve("repo-" + name);
        try {
            Files.createDirectories(path);
            ServerUser.chown(path);
            extraRepositories.append("  - name: ").append(name).append("\n    type: fs\n    path: ").append(path)
                    .append("\n    required: ").append(required).append('\n');
            writeConfig(nodes, archiveYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return path;
    }

    public void writeConfig(List<PgCluster> nodes, String archiveYaml) throws IOException {
        this.nodes = nodes;
        this.archiveYaml = archiveYaml;
        StringBuilder y = new StringBuilder("cluster: test\nnodes:\n");
        for (PgCluster n : nodes) {
            y.append("  - name: ").append(n.name()).append('\n')
                    .append("    host: 127.0.0.1\n")
                    .append("    port: ").append(n.port()).append('\n')
                    .append("    data_directory: ").append(n.dataDir()).append('\n')
                    .append(nodeYaml.getOrDefault(n.name(), ""));
        }
        if (repositoriesYaml != null) {
            y.append("repositories:\n").append(repositoriesYaml);
        } else {
            y.append("repositories:\n  - name: local\n    type: fs\n    path: ").append(repo).append('\n').append(extraRepositories);
        }
        y.append("archive:\n  spool_directory: ").append(spool).append('\n').append(archiveYaml == null ? "" : archiveYaml);
        if (haYaml != null) {
            y.append("ha:\n").append(haYaml);
        }
        if (extraYaml != null) {
            y.append(extraYaml);
        }
        Files.writeString(config, y.toString());
        ServerUser.chown(config);
    }

    /** Adds an ha: section ({@code yaml}: its indented keys) and per-node keys ({@code perNode}: indented lines by node name). */
    public void ha(String yaml, java.util.Map<String, String> perNode) {
        haYaml = yaml;
        nodeYaml = java.util.Map.copyOf(perNode);
        try {
            writeConfig(nodes, archiveYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds keys to nodes ({@code perNode}: indented lines by node name), and a top-level section ({@code extraYaml}, may be null). */
    public void nodeKeys(java.util.Map<String, String> perNode, String extraYaml) {
        nodeYaml = java.util.Map.copyOf(perNode);
        this.extraYaml = extraYaml;
        try {
            writeConfig(nodes, archiveYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Replaces the repositories of the configuration with {@code yaml}, the list items under
     * {@code repositories:} (the filesystem repository {@link #repo()} may be one of them).
     */
    public void repositories(String yaml) {
        repositoriesYaml = yaml;
        try {
            writeConfig(nodes, archiveYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A secret file only the server's OS user can read, for a ${file:...} reference. */
    public Path secretFile(String name, String value) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, value);
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            ServerUser.chown(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path config() {
        return config;
    }

    public Path repo() {
        return repo;
    }

    public Path dir() {
        return dir;
    }

    /** The archive_command a user would set. */
    public String archiveCommand() {
        return launcher() + " -c " + config + " archive-push %p";
    }

    /** restore_command as a user writes it by hand: the launcher for every call. */
    public String restoreCommand() {
        return launcher() + " -c " + config + " archive-get %f %p";
    }

    /** restore_command as restore and replica create write it: queued segments handed over by sh itself. */
    public String writtenRestoreCommand() {
        return new io.walferry.archive.RestoreCommandLine(launcher().toString(), config).render();
    }

    /** Sets archiving up on a stopped cluster, as the configuration guide says. */
    public void enableArchiving(PgCluster pg) {
        pg.set("archive_mode", "on");
        pg.set("archive_command", archiveCommand());
        pg.set("archive_timeout", "0");
    }

    /** From now on, the launcher (commands and agents) starts with this umask, as a shell or systemd would give it. */
    public void umask(String mask) {
        this.umask = mask;
    }

    /** {@code command} (the launcher and its arguments) as the server's OS user, with the umask set. */
    List<String> asServerUser(List<String> command) {
        if (umask == null) {
            return ServerUser.wrap(command);
        }
        List<String> sh = new ArrayList<>(List.of("sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\""));
        sh.addAll(command);
        return ServerUser.wrap(sh);
    }

    /** Runs the launcher as the server's OS user, in {@code workDir} (null: the fixture directory). */
    public Result run(Path workDir, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher().toString());
        cmd.add("-c");
        cmd.add(config.toString());
        cmd.addAll(List.of(args));
        return exec(asServerUser(cmd), workDir == null ? dir : workDir, Duration.ofMinutes(3));
    }

    public Result run(String... args) {
        return run(null, args);
    }

    /** Runs a command in this JVM (as the test's user), for commands that only read. */
    public Result inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("-c", config.toString()));
        all.addAll(List.of(args));
        int code = Main.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err), new HashMap<>(System.getenv()));
        return new Result(code, out.toString(), err.toString());
    }

    /** {@code walferry dashboard} as the server's OS user, once it prints its address. */
    public AgentProcess startDashboard() {
        return AgentProcess.launch(this, List.of(launcher().toString(), "-c", config.toString(), "dashboard"), "walferry dashboard of cluster",
                "the dashboard");
    }

    public AgentProcess startAgent() {
        return AgentProcess.start(this);
    }

    public AgentProcess startAgent(String node) {
        return AgentProcess.start(this, node);
    }

    public AgentProcess startAgent(String node, Path config) {
        return AgentProcess.start(this, node, config);
    }

    public static Result exec(List<String> cmd, Path workDir, Duration timeout) {
        return exec(cmd, workDir, timeout, out -> { });
    }

    /** What a test checks while a command runs, given the file its standard output goes to. */
    @FunctionalInterface
    public interface WhileRunning {
        void check(Path stdout) throws Exception;
    }

    /** As above, with {@code whileRunning} checked in another thread as the command runs (its failure fails the test). */
    public static Result exec(List<String> cmd, Path workDir, Duration timeout, WhileRunning whileRunning) {
        try {
            Path out = Files.createTempFile("wf-out-", ".txt");
            Path err = Files.createTempFile("wf-err-", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                Map<String, String> env = pb.environment();
                env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("WALFERRY"));
                Process p = pb.start();
                java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
                Thread checker = Thread.ofPlatform().name("while-running").start(() -> {
                    try {
                        whileRunning.check(out);
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out: " + cmd);
                }
                checker.join();
                if (failed.get() != null) {
                    throw new AssertionError("while " + cmd + " ran: " + failed.get() + "\n" + Files.readString(out) + Files.readString(err),
                            failed.get());
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The launcher and the jar built by this Maven run, copied where every user may run them. */
    public static synchronized Path launcher() {
        if (launcher == null) {
            Path script = Path.of(System.getProperty("walferry.launcher", "walferry")).toAbsolutePath();
            Path jar = Path.of(System.getProperty("walferry.jar", "target/walferry.jar")).toAbsolutePath();
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("no " + jar + ": integration tests run after 'mvn package' (mvn verify)");
            }
            try {
                Path home = TempDirs.create("walferry-it-launcher-");
                Files.createDirectories(home.resolve("target"));
                Files.copy(script, home.resolve("walferry"), StandardCopyOption.COPY_ATTRIBUTES);
                Files.copy(jar, home.resolve("target/walferry.jar"));
                home.resolve("walferry").toFile().setExecutable(true, false);
                home.resolve("target").toFile().setExecutable(true, false);
                home.resolve("target").toFile().setReadable(true, false);
                home.resolve("target/walferry.jar").toFile().setReadable(true, false);
                ServerUser.makeTraversable(home);
                launcher = home.resolve("walferry");
                // As the owner of the copy, record the startup cache that every user then reads.
                Result warm = exec(List.of(launcher.toString(), "self-test"), home, Duration.ofMinutes(2));
                if (warm.exitCode() != 0) {
                    throw new IllegalStateException("walferry self-test failed: " + warm.all());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return launcher;
    }
}
