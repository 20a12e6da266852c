package io.walferry.postgres;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops a local server with pg_ctl, and reads its pg_control, as the OS user walferry runs as (the
 * server's owner). The server's own output goes to {@code <data directory>/walferry-server.log} until its
 * logging takes over.
 */
public final class PgControl {
    private final PgBinaries binaries;

    public PgControl(PgBinaries binaries) {
        this.binaries = binaries;
    }

    public static Path logFile(Path dataDirectory) {
        return dataDirectory.resolve("walferry-server.log");
    }

    public void start(Path dataDirectory) {
        run(List.of(binaries.program("pg_ctl").toString(), "-D", dataDirectory.toString(), "-l", logFile(dataDirectory).toString(),
                "-w", "-t", "120", "start"), "start", dataDirectory);
    }

    /**
     * Starts the server and returns once the postmaster runs, without waiting for it to accept connections (crash
     * recovery may take long): the caller watches it come up.
     */
    public void startNoWait(Path dataDirectory) {
        run(List.of(binaries.program("pg_ctl").toString(), "-D", dataDirectory.toString(), "-l", logFile(dataDirectory).toString(),
                "-W", "start"), "start", dataDirectory);
    }

    /** Stops the server; {@code mode} is smart, fast or immediate. False if it was not running. */
    public boolean stop(Path dataDirectory, String mode) {
        if (!Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            return false;
        }
        run(List.of(binaries.program("pg_ctl").toString(), "-D", dataDirectory.toString(), "-m", mode, "-w", "-t", "120", "stop"),
                "stop", dataDirectory);
        return true;
    }

    /** What pg_controldata reads from the data directory's pg_control (the server may be running or not). */
    public ControlData controlData(Path dataDirectory) {
        String out = run(List.of(binaries.program("pg_controldata").toString(), "-D", dataDirectory.toString()), "controldata",
                dataDirectory);
        return ControlData.parse(out).orElseThrow(() -> new WalferryException(Failure.POSTGRES,
                "pg_controldata printed no checkpoint for " + dataDirectory, "run pg_controldata -D " + dataDirectory + " to see why"));
    }

    private static String run(List<String> cmd, String what, Path dataDirectory) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            // pg_controldata translates its labels: read them in English.
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new WalferryException(Failure.POSTGRES, "pg_ctl " + what + " failed for " + dataDirectory + ": "
                        + out.lines().reduce((a, b) -> b).orElse(""), "see " + logFile(dataDirectory) + " and the server log");
            }
            return out;
        } catch (IOException e) {
            throw new WalferryException(Failure.POSTGRES, "cannot run pg_ctl: " + e.getMessage(), "check bin_directory / --pg-bin", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted while pg_ctl " + what + " ran", null);
        }
    }
}
