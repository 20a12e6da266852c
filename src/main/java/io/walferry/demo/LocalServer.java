package io.walferry.demo;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgBinaries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's primary: initdb with the settings walferry's archiving and replicas need, listening on
 * loopback and on a socket in the demo's private directory, with scram-sha-256 for every connection:
 * another local user can reach the port, so nothing is trusted for being local.
 */
final class LocalServer {
    private LocalServer() {
    }

    /** @param passwordFile the password of role postgres, on its first line */
    static void initdb(PgBinaries bin, Path dataDir, int port, Path socketDir, String archiveCommand, Path passwordFile) {
        run(List.of(bin.program("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "--auth=scram-sha-256",
                "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C", "--no-instructions"));
        try {
            Files.writeString(dataDir.resolve("postgresql.conf"), """

                    # ---- walferry demo ----
                    listen_addresses = '127.0.0.1'
                    port = %d
                    unix_socket_directories = '%s'
                    wal_level = replica
                    max_wal_senders = 10
                    max_replication_slots = 10
                    hot_standby = on
                    wal_log_hints = on
                    archive_mode = on
                    archive_command = '%s'
                    archive_timeout = 10s
                    shared_buffers = 64MB
                    max_wal_size = 1GB
                    """.formatted(port, socketDir, archiveCommand.replace("'", "''")), java.nio.file.StandardOpenOption.APPEND);
            Files.writeString(dataDir.resolve("pg_hba.conf"), """
                    # walferry demo: loopback and its private socket directory only, never without a password
                    local   all             all                             scram-sha-256
                    host    all             all             127.0.0.1/32    scram-sha-256
                    host    replication     all             127.0.0.1/32    scram-sha-256
                    """);
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot configure " + dataDir + ": " + e.getMessage(), null, e);
        }
    }

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new WalferryException(Failure.POSTGRES, cmd.get(0) + " failed: " + out.strip().lines().reduce((a, b) -> b).orElse(""),
                        "run walferry demo --debug for details");
            }
        } catch (IOException e) {
            throw new WalferryException(Failure.POSTGRES, "cannot run " + cmd.get(0) + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted", null);
        }
    }
}
