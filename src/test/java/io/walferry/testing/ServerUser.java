package io.walferry.testing;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The OS user that test PostgreSQL servers run as, and the one place that spawns helper processes.
 *
 * <p>PostgreSQL refuses to run as root, so when the tests run as root every server-side command is
 * run as {@code postgres} via {@code runuser}, and the files it must own are chowned to it.
 * Otherwise the servers simply run as the current user.
 */
public final class ServerUser {

    private static final String POSTGRES = "postgres";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private static final boolean ROOT = detectRoot();
    private static volatile boolean postgresUserEnsured;

    private ServerUser() {
    }

    /** The name of the user server processes run as. */
    public static String name() {
        if (!ROOT) {
            return System.getProperty("user.name");
        }
        ensurePostgresUser();
        return POSTGRES;
    }

    /** Whether the JVM runs as root (and servers therefore run as {@code postgres}). */
    /** The numeric id of the server's OS user (its runtime directories are named after it). */
    public static int uid() {
        try {
            Process p = new ProcessBuilder("id", "-u", name()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return Integer.parseInt(out);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the uid of " + name() + ": " + e);
        }
    }

    public static boolean isRoot() {
        return ROOT;
    }

    /** The command to run so that {@code command} executes as the server user. */
    public static List<String> wrap(List<String> command) {
        if (!ROOT) {
            return List.copyOf(command);
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", name(), "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives the server user ownership of {@code path} and everything below it (no-op unless root). */
    public static void chown(Path path) {
        if (!ROOT) {
            return;
        }
        // "user:" means the user's login group, which works even if no group is named like the user.
        run(List.of("chown", "-R", name() + ":", path.toString()), null, DEFAULT_TIMEOUT);
    }

    /**
     * Makes {@code dir} and its ancestors, up to but excluding {@code /tmp} or the filesystem root,
     * searchable by others, so that the server user can reach files in {@code dir} even when a
     * parent was created with mode 0700 (as JUnit's {@code @TempDir} does). No-op unless root,
     * because otherwise the server runs as the current user, who can already reach its own files.
     */
    public static void makeTraversable(Path dir) {
        if (!ROOT) {
            return;
        }
        Path stop = Path.of("/tmp");
        for (Path p = dir.toAbsolutePath().normalize(); p != null && p.getParent() != null; p = p.getParent()) {
            if (p.equals(stop)) {
                break;
            }
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) {
                    Files.setPosixFilePermissions(p, perms);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make " + p + " traversable for " + name(), e);
            }
        }
    }

    /** Exit code and combined stdout/stderr of a finished process. */
    record Result(List<String> command, int exitCode, String output) {
        String describe() {
            return "command " + command + " exited with " + exitCode + ", output:\n" + output;
        }
    }

    /** Runs {@code command} and returns its output; throws if it exits non-zero or times out. */
    static String run(List<String> command, Path workDir, Duration timeout) {
        Result r = exec(command, workDir, timeout);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(r.describe());
        }
        return r.output();
    }

    /**
     * Runs {@code command} and returns its exit code and output; throws only if it cannot start or
     * times out. Output goes to a file rather than a pipe so that a daemon the command leaves behind
     * (pg_ctl start) cannot keep us waiting for end-of-stream.
     */
    public static Result exec(List<String> command, Path workDir, Duration timeout) {
        Path out = null;
        try {
            out = Files.createTempFile("walferry-cmd-", ".out");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            // Ambient libpq/server settings (PGDATA, PGPORT, ...) must not leak into test clusters.
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("PG"));
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("command " + command + " timed out after " + timeout
                        + ", output:\n" + readQuietly(out));
            }
            return new Result(List.copyOf(command), p.exitValue(), readQuietly(out));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new InterruptedIOException("interrupted while running " + command));
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    private static String readQuietly(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<output unavailable: " + e + ">";
        }
    }

    private static boolean detectRoot() {
        try {
            Result r = exec(List.of("id", "-u"), null, Duration.ofSeconds(30));
            if (r.exitCode() == 0) {
                return r.output().trim().equals("0");
            }
        } catch (RuntimeException ignored) {
            // fall back to the JVM's idea of the user below
        }
        return "root".equals(System.getProperty("user.name"));
    }

    private static synchronized void ensurePostgresUser() {
        if (postgresUserEnsured) {
            return;
        }
        if (exec(List.of("id", "-u", POSTGRES), null, DEFAULT_TIMEOUT).exitCode() != 0) {
            run(List.of("useradd", "--system", "--no-create-home", POSTGRES), null, DEFAULT_TIMEOUT);
        }
        postgresUserEnsured = true;
    }
}
