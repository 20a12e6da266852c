package io.walferry.ha;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Stops the leader's PostgreSQL when the HA loop stops proving it holds the leader key: if the agent dies or hangs, it
 * renews neither the lease nor this deadline, and a small process of its own (a shell loop, started once and outliving
 * the agent) marks the data directory a standby and stops the server immediately, before the lease can expire and
 * another member be promoted.
 *
 * <p>The deadline is in seconds of the machine's uptime (/proc/uptime: monotonic, shared by every process), written
 * atomically to {@code writable-until} in the node's HA directory; no file, no deadline.
 */
public final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
    /** Time the shell loop allows itself to notice and stop the server, before the lease can expire. */
    static final double MARGIN_SECONDS = 2.0;

    private final Path dir;
    private final Path dataDirectory;
    private final Path pgCtl;

    public Watchdog(Path haDirectory, Path dataDirectory, Path pgCtl) {
        this.dir = haDirectory;
        this.dataDirectory = dataDirectory;
        this.pgCtl = pgCtl;
    }

    /** The machine's uptime in seconds, the clock of the deadline. */
    public static double uptime() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return System.nanoTime() / 1e9;
        }
    }

    /**
     * The server may take writes until {@code renewedAt + ttl - margin} (uptime seconds): {@code renewedAt} is taken
     * before the renewal was sent, so the lease surely lasts at least that long.
     */
    public void armUntil(double renewedAt, double ttlSeconds) throws IOException {
        ensureRunning();
        Path tmp = dir.resolve(".writable-until.tmp");
        Files.writeString(tmp, String.format(java.util.Locale.ROOT, "%.3f%n", renewedAt + ttlSeconds - MARGIN_SECONDS));
        Files.move(tmp, dir.resolve("writable-until"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** No deadline: this node no longer claims to be the leader (it demoted, or gave the key up). */
    public void disarm() {
        try {
            Files.deleteIfExists(dir.resolve("writable-until"));
        } catch (IOException e) {
            LOG.warn("cannot remove the watchdog's deadline {}: {}", dir.resolve("writable-until"), e.getMessage());
        }
    }

    /** Whether the watchdog fenced this server (it leaves a note for the agent). */
    public boolean fired() {
        return Files.exists(dir.resolve("fenced"));
    }

    public void clearFired() throws IOException {
        Files.deleteIfExists(dir.resolve("fenced"));
    }

    private void ensureRunning() throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path pid = dir.resolve("watchdog.pid");
        if (Files.exists(pid)) {
            try {
                long p = Long.parseLong(Files.readString(pid).strip());
                if (ProcessHandle.of(p).map(h -> h.isAlive() && h.info().commandLine().map(c -> c.contains("walferry-watchdog"))
                        .orElse(true)).orElse(false)) {
                    return;
                }
            } catch (NumberFormatException e) {
                // rewritten below
            }
        }
        Path script = dir.resolve("walferry-watchdog.sh");
        Files.writeString(script, SCRIPT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        ProcessBuilder pb = new ProcessBuilder(List.of("setsid", "bash", script.toString(), dir.toString(), dataDirectory.toString(),
                pgCtl.toString())).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("watchdog.log").toFile()))
                .redirectErrorStream(true);
        Process p = pb.start();
        Files.writeString(pid, p.pid() + "\n", StandardCharsets.US_ASCII);
        LOG.info("started the watchdog (pid {}) of {}", p.pid(), dataDirectory);
    }

    /**
     * The shell loop: every half second, past the deadline with the server running, it writes standby.signal (so that
     * no restart makes it a primary again), stops the server immediately, and leaves a note. No fork while waiting but
     * sleep; the deadline is compared in milliseconds of uptime with bash integers.
     */
    private static final String SCRIPT = """
            #!/bin/bash
            # walferry-watchdog: stops this node's PostgreSQL when the HA agent stops renewing its deadline.
            dir=$1 data=$2 pg_ctl=$3
            set -u
            ms() { local u; read -r u _ </proc/uptime; u=${u/./}; echo $((10#$u * 10)); }
            while [[ -d $data ]]; do
              if [[ -f $dir/writable-until ]]; then
                read -r until <"$dir/writable-until" || until=""
                if [[ $until =~ ^[0-9]+\\.[0-9]{3}$ ]]; then
                  limit=$(( 10#${until/./} ))
                  if (( $(ms) > limit )) && [[ -f $data/postmaster.pid ]]; then
                    echo "$(date -Is) deadline $until passed: fencing $data"
                    : >"$data/standby.signal"
                    "$pg_ctl" -D "$data" -m immediate -w -t 30 stop
                    rm -f "$dir/writable-until"
                    date -Is >"$dir/fenced"
                  fi
                fi
              fi
              sleep 0.5
            done
            """;
}
