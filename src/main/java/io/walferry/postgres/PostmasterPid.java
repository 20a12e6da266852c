package io.walferry.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The postmaster.pid of a data directory: which process serves it and on which port (line 1 and line 4). */
public record PostmasterPid(long pid, int port) {
    /** Empty when there is no such file or it is still being written. */
    public static Optional<PostmasterPid> read(Path dataDirectory) {
        try {
            List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            if (lines.size() < 4 || lines.get(0).isBlank() || lines.get(3).isBlank()) {
                return Optional.empty();
            }
            return Optional.of(new PostmasterPid(Long.parseLong(lines.get(0).strip()), Integer.parseInt(lines.get(3).strip())));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * A file left by a server that crashed names a process that no longer exists. A killed postmaster that nobody has
     * reaped yet still counts, as it does for PostgreSQL (kill(pid, 0)), which will not start over its lock file until
     * it is gone: see {@link #defunct()}.
     */
    public boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The postmaster has exited and waits to be reaped (a zombie): dead, though {@link #alive()} until reaped. */
    public boolean defunct() {
        return alive() && zombie();
    }

    private boolean zombie() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // "pid (comm) S ...": the state follows the last ')', as comm may hold one
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false; // no /proc here, or gone meanwhile: ProcessHandle has answered
        }
    }
}
