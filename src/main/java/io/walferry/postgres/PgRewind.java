package io.walferry.postgres;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * pg_rewind of a stopped data directory onto a running source server: it copies what changed since the two histories
 * parted, so that the target can follow the source's timeline. From PostgreSQL 13 it first completes crash recovery
 * of a target that was not shut down cleanly, and fetches WAL missing from the target's pg_wal with its
 * restore_command.
 */
public final class PgRewind {
    private static final Logger LOG = LoggerFactory.getLogger(PgRewind.class);
    private final PgBinaries binaries;

    public PgRewind(PgBinaries binaries) {
        this.binaries = binaries;
    }

    /**
     * What pg_rewind did: {@code rewound} when it succeeded (or found no rewind needed: {@code notNeeded}); otherwise
     * {@code why} is its last line of output; {@code output} is all of it.
     */
    public record Outcome(boolean rewound, boolean notNeeded, String why, String output) {
    }

    /**
     * Runs pg_rewind in the data directory (restore_command's relative paths are relative to it).
     *
     * @param sourceConninfo libpq connection string of the source, without a password
     * @param password       passed in PGPASSWORD, never on the command line
     */
    public Outcome rewind(Path dataDirectory, String sourceConninfo, Optional<String> password, int versionNum) {
        List<String> cmd = new ArrayList<>(List.of(binaries.program("pg_rewind").toString(), "--target-pgdata=" + dataDirectory,
                "--source-server=" + sourceConninfo));
        if (versionNum >= 130000) {
            cmd.add("--restore-target-wal");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dataDirectory.toFile()).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().remove("PGPASSWORD");
        password.ifPresent(p -> pb.environment().put("PGPASSWORD", p));
        Optional<Path> kept = keepLog(dataDirectory);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            String last = out.lines().reduce((a, b) -> b).orElse("");
            if (p.exitValue() == 0) {
                return new Outcome(true, out.contains("no rewind required"), last, out);
            }
            return new Outcome(false, false, last.isEmpty() ? "pg_rewind exited " + p.exitValue() : last, out);
        } catch (IOException e) {
            throw new WalferryException(Failure.POSTGRES, "cannot run pg_rewind: " + e.getMessage(), "check bin_directory / --pg-bin", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted while pg_rewind ran", null);
        } finally {
            kept.ifPresent(k -> putLogBack(k, dataDirectory));
        }
    }

    /** pg_rewind copies the source's files over the target's, its server log too: the target's own is kept aside. */
    private static Optional<Path> keepLog(Path dataDirectory) {
        Path log = PgControl.logFile(dataDirectory);
        if (!Files.exists(log)) {
            return Optional.empty();
        }
        try {
            Path kept = Files.createTempFile("walferry-server-log-", ".rewind");
            Files.move(log, kept, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(kept);
        } catch (IOException e) {
            LOG.warn("cannot keep {} aside during pg_rewind (it will hold the source's): {}", log, e.getMessage());
            return Optional.empty();
        }
    }

    private static void putLogBack(Path kept, Path dataDirectory) {
        try {
            Files.move(kept, PgControl.logFile(dataDirectory), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("cannot put the server log back from {}: {}", kept, e.getMessage());
        }
    }
}
