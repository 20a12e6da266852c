package io.walferry.fastpath;

import io.walferry.config.CurrentUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The small directory through which the agent tells the launcher, without a JVM, that a WAL file is already
 * durable in every required repository (docs/agent-protocol.md, "The runtime directory"). It lives in the
 * runtime root ({@link #runtimeRoot}), then the data directory's real path with '/' as '%'. All of it is
 * written by the agent, read by the launcher's {@code wf_fast_archive_push}:
 *
 * <ul>
 *   <li>{@value #AGENT_PID}: the agent's pid; the launcher waits for the agent only while that process is a
 *       {@code walferry agent}.</li>
 *   <li>{@value #TIMEOUT}: how long archive_command waits for an ack (archive.timeout, in seconds).</li>
 *   <li>{@value #ACKED}{@code /<file>}: the file is durable and verified in every required repository. Written only
 *       after the commit it stands for, and counts only while it is not older than the WAL file.</li>
 *   <li>{@value #FAILED}{@code /<file>}: "EXIT_CODE MESSAGE", the agent's last attempt at the file failed; the
 *       launcher prints the message for PostgreSQL's log and exits with the code.</li>
 *   <li>{@value #WAIT_FIFO}: a FIFO nobody writes, which the launcher sleeps on with {@code read -t} (no fork);
 *       made by the agent and by whoever starts a prefetcher, as the launcher also waits for prefetched segments.</li>
 * </ul>
 *
 * Everything is owner-only, and an existing directory that another user owns or can write is refused: the
 * launcher trusts an ack only if its own user wrote it.
 */
public final class RuntimeDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeDirectory.class);
    public static final String ENV_RUNTIME = "WALFERRY_RUNTIME_DIR";
    public static final String AGENT_PID = "agent.pid";
    public static final String TIMEOUT = "timeout";
    public static final String ACKED = "acked";
    public static final String FAILED = "failed";
    public static final String WAIT_FIFO = "wait.fifo";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path dir;

    private RuntimeDirectory(Path dir) {
        this.dir = dir;
    }

    public static RuntimeDirectory forDataDirectory(Path dataDirectory, Map<String, String> env) throws IOException {
        Path real = dataDirectory.toRealPath();
        return new RuntimeDirectory(runtimeRoot(env).resolve(real.toString().replace('/', '%')));
    }

    /**
     * The runtime root, by the rule the launcher applies with the environment PostgreSQL gives it (so both
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

    /** The wait FIFO alone, for the launcher's waits on a prefetcher (the queue itself is in the data directory). */
    public void prepareWaitFifo() throws IOException {
        ensurePrivate(dir.getParent());
        ensurePrivate(dir);
        makeWaitFifo();
    }

    /**
     * The agent starts: creates the directory owner-only, withdraws every ack and failure an earlier agent left,
     * writes the timeout, and writes its pid last (the launcher waits only for a live agent).
     */
    public void prepare(long pid, long timeoutSeconds) throws IOException {
        ensurePrivate(dir.getParent());
        ensurePrivate(dir);
        Files.createDirectories(dir.resolve(ACKED));
        Files.createDirectories(dir.resolve(FAILED));
        clear(ACKED);
        clear(FAILED);
        AtomicFile.write(dir.resolve(TIMEOUT), timeoutSeconds + "\n");
        makeWaitFifo();
        AtomicFile.write(dir.resolve(AGENT_PID), pid + "\n");
    }

    /**
     * Without a FIFO the launcher falls back to forking sleep, so failing to make one is not an error.
     */
    private void makeWaitFifo() {
        Path fifo = dir.resolve(WAIT_FIFO);
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

    /** The push of {@code fileName} (read from {@code walFile}) is committed everywhere it must be: archive_command may say so. */
    public void ack(String fileName, Path walFile) throws IOException {
        Path ack = dir.resolve(ACKED).resolve(fileName);
        AtomicFile.write(ack, "");
        // An ack must not be older than the file it confirms; the launcher compares the two.
        FileTime walTime = Files.getLastModifiedTime(walFile);
        if (Files.getLastModifiedTime(ack).compareTo(walTime) < 0) {
            Files.setLastModifiedTime(ack, walTime);
        }
        Files.deleteIfExists(dir.resolve(FAILED).resolve(fileName));
    }

    /** The last push of {@code fileName} failed: archive_command exits with {@code exitCode}, printing the message. */
    public void fail(String fileName, int exitCode, String message) throws IOException {
        AtomicFile.write(dir.resolve(FAILED).resolve(fileName), exitCode + " " + message.replace('\n', ' ') + "\n");
    }

    public boolean acked(String fileName) {
        return Files.exists(dir.resolve(ACKED).resolve(fileName));
    }

    /** PostgreSQL is done with {@code fileName}: its ack or failure goes. */
    public void forget(String fileName) throws IOException {
        Files.deleteIfExists(dir.resolve(ACKED).resolve(fileName));
        Files.deleteIfExists(dir.resolve(FAILED).resolve(fileName));
    }

    public List<String> ackedOrFailedNames() throws IOException {
        List<String> names = new ArrayList<>();
        for (String sub : new String[]{ACKED, FAILED}) {
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

    /** False once someone removed it (a reboot's /tmp cleaning): the agent prepares it again. */
    public boolean intact() {
        return Files.isDirectory(dir.resolve(ACKED)) && Files.exists(dir.resolve(AGENT_PID));
    }

    /** The agent stops: every ack is withdrawn, and without the agent archive-push checks the repositories itself. */
    public void close() throws IOException {
        Files.deleteIfExists(dir.resolve(AGENT_PID));
        clear(ACKED);
        clear(FAILED);
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
            } catch (FileAlreadyExistsException e) {
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
