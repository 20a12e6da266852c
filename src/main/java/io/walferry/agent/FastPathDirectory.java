package io.walferry.agent;

import io.walferry.archive.AtomicFile;
import io.walferry.config.CurrentUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The small directory through which the agent tells the launcher script, without a JVM, that a WAL file is
 * already durable in every required repository (docs/agent-protocol.md). It lives in the runtime directory
 * ({@link #runtimeRoot}), then the data directory's real path with '/' as '%', and holds {@code agent.pid},
 * {@code timeout}, {@code acked/<file>} and {@code failed/<file>}. An ack is written only after the commit it
 * stands for, and counts only while it is not older than the WAL file.
 */
public final class FastPathDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(FastPathDirectory.class);
    public static final String ENV_RUNTIME = "WALFERRY_RUNTIME_DIR";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path dir;

    private FastPathDirectory(Path dir) {
        this.dir = dir;
    }

    public static FastPathDirectory forDataDirectory(Path dataDirectory, Map<String, String> env) throws IOException {
        Path real = dataDirectory.toRealPath();
        return new FastPathDirectory(runtimeRoot(env).resolve(real.toString().replace('/', '%')));
    }

    /**
     * The runtime directory, by the rule the launcher applies with the environment PostgreSQL gives it (so both
     * must see the same): {@code $WALFERRY_RUNTIME_DIR}; else {@code walferry/} in {@code $XDG_RUNTIME_DIR} when
     * that is a directory of this user's and no link (a login session's {@code /run/user/<uid>}, which nobody
     * else can plant anything in); else {@code /tmp/walferry-<uid>}.
     */
    static Path runtimeRoot(Map<String, String> env) {
        String base = env.getOrDefault(ENV_RUNTIME, "");
        if (!base.isEmpty()) {
            return Path.of(base);
        }
        String xdg = env.getOrDefault("XDG_RUNTIME_DIR", "");
        if (xdg.startsWith("/")) {
            Path x = Path.of(xdg);
            try {
                if (Files.isDirectory(x, LinkOption.NOFOLLOW_LINKS)
                        && (Integer) Files.getAttribute(x, "unix:uid", LinkOption.NOFOLLOW_LINKS) == CurrentUser.uid()) {
                    return x.resolve("walferry");
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not usable: /tmp, as the launcher would find it
            }
        }
        return Path.of("/tmp/walferry-" + CurrentUser.uid());
    }

    /**
     * For the prefetcher: the wait FIFO, if the runtime directory allows. Without it prefetch still works (its
     * queue is in the data directory) and the launcher naps with a forked sleep instead, so a runtime directory
     * that is not this user's only costs time; said at warning, since someone may have planted it.
     */
    public static void offerWaitFifo(Path dataDirectory, Map<String, String> env) {
        try {
            forDataDirectory(dataDirectory, env).prepareWaitFifo();
        } catch (IOException e) {
            LOG.warn("prefetch: no wait.fifo for the launcher, which sleeps between looks instead: {}", e.getMessage());
        }
    }

    public Path path() {
        return dir;
    }

    /**
     * The FIFO on which the launcher waits for a segment the prefetcher is fetching (the queue itself is in
     * the data directory: archive.PrefetchQueue).
     */
    public void prepareWaitFifo() throws IOException {
        ensurePrivate(dir.getParent());
        ensurePrivate(dir);
        makeWaitFifo();
    }

    /** Creates the directory owner-only; refuses one that another user could have planted acks in. */
    public void prepare(long pid, long timeoutSeconds) throws IOException {
        Path root = dir.getParent();
        ensurePrivate(root);
        ensurePrivate(dir);
        Files.createDirectories(dir.resolve("acked"));
        Files.createDirectories(dir.resolve("failed"));
        clear("acked");
        clear("failed");
        AtomicFile.write(dir.resolve("timeout"), timeoutSeconds + "\n");
        makeWaitFifo();
        AtomicFile.write(dir.resolve("agent.pid"), pid + "\n");
    }

    /**
     * A FIFO nobody writes: the launcher waits on it with {@code read -t}, a timed sleep without a fork.
     * Without it the launcher falls back to forking sleep, so failing to make one is not an error.
     */
    private void makeWaitFifo() {
        Path fifo = dir.resolve("wait.fifo");
        if (Files.exists(fifo)) {
            return;
        }
        try {
            Process p = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
        } catch (IOException e) {
            // no mkfifo on this system: the launcher polls with sleep instead
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void ack(String fileName, Path walFile) throws IOException {
        Path ack = dir.resolve("acked").resolve(fileName);
        AtomicFile.write(ack, "");
        // An ack must not be older than the file it confirms; the launcher compares the two.
        FileTime walTime = Files.getLastModifiedTime(walFile);
        if (Files.getLastModifiedTime(ack).compareTo(walTime) < 0) {
            Files.setLastModifiedTime(ack, walTime);
        }
        Files.deleteIfExists(dir.resolve("failed").resolve(fileName));
    }

    public void fail(String fileName, int exitCode, String message) throws IOException {
        AtomicFile.write(dir.resolve("failed").resolve(fileName), exitCode + " " + message.replace('\n', ' ') + "\n");
    }

    public boolean acked(String fileName) {
        return Files.exists(dir.resolve("acked").resolve(fileName));
    }

    public void forget(String fileName) throws IOException {
        Files.deleteIfExists(dir.resolve("acked").resolve(fileName));
        Files.deleteIfExists(dir.resolve("failed").resolve(fileName));
    }

    public Iterable<String> ackedOrFailedNames() throws IOException {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (String sub : new String[]{"acked", "failed"}) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve(sub))) {
                for (Path p : ds) {
                    if (!p.getFileName().toString().startsWith(".")) {
                        names.add(p.getFileName().toString());
                    }
                }
            } catch (NoSuchFileException e) {
                // recreated by the next prepare
            }
        }
        return names;
    }

    public boolean intact() {
        return Files.isDirectory(dir.resolve("acked")) && Files.exists(dir.resolve("agent.pid"));
    }

    /** Withdraws every ack: without the agent, archive-push checks the repositories itself. */
    public void close() throws IOException {
        Files.deleteIfExists(dir.resolve("agent.pid"));
        clear("acked");
        clear("failed");
    }

    private void clear(String sub) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve(sub))) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // nothing to clear
        }
    }

    /**
     * Creates {@code d} owner-only, or accepts an existing one only if this user owns it and nobody else can
     * write it; an existing directory's mode is never changed (it may be shared, like /run/postgresql).
     */
    private static void ensurePrivate(Path d) throws IOException {
        if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.setPosixFilePermissions(d, OWNER_ONLY); // the umask may have narrowed it; never widened
                return;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // created concurrently; checked below
            }
        }
        int owner = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != CurrentUser.uid() || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(d + " is not a directory owned by uid " + CurrentUser.uid() + "; remove it or set "
                    + ENV_RUNTIME + " to a private directory");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS);
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(d + " is writable by other users, who could fake the agent's acks; set "
                    + ENV_RUNTIME + " to a directory only this user can write");
        }
    }
}
