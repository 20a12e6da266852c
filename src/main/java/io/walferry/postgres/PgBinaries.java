package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds the PostgreSQL server programs: --pg-bin, then the node's bin_directory, then PATH, then
 * {@code pg_config --bindir}, then the newest {@code /usr/lib/postgresql/N/bin}. A directory counts only if it
 * holds pg_ctl and postgres.
 */
public record PgBinaries(Path directory) {
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    public Path program(String name) {
        return directory.resolve(name);
    }

    public static PgBinaries find(Optional<Path> commandLine, Optional<Path> nodeSetting) {
        List<String> tried = new ArrayList<>();
        for (Optional<Path> explicit : List.of(commandLine, nodeSetting)) {
            if (explicit.isPresent()) {
                if (holdsServer(explicit.get())) {
                    return new PgBinaries(explicit.get());
                }
                throw WalferryException.config("no PostgreSQL server programs (pg_ctl, postgres) in " + explicit.get(),
                        "point --pg-bin or the node's bin_directory at PostgreSQL's bin directory");
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                // PATH often holds only links (pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl): use where they point.
                Optional<Path> real = dir.isEmpty() ? Optional.empty() : realServerDirectory(Path.of(dir));
                if (real.isPresent()) {
                    return new PgBinaries(real.get());
                }
            }
            tried.add("PATH");
        }
        Optional<Path> fromPgConfig = pgConfigBindir();
        if (fromPgConfig.isPresent() && holdsServer(fromPgConfig.get())) {
            return new PgBinaries(fromPgConfig.get());
        }
        tried.add("pg_config --bindir");
        Optional<Path> debian = newestDebian();
        if (debian.isPresent()) {
            return new PgBinaries(debian.get());
        }
        tried.add(DEBIAN_ROOT + "/*/bin");
        throw WalferryException.config("no PostgreSQL server programs found (looked in " + String.join(", ", tried) + ")",
                "install the PostgreSQL server, or pass --pg-bin DIR");
    }

    /**
     * The client programs a logical stream's schema copy runs (pg_dump, pg_restore), of major version
     * {@code minimumMajor} or later (pg_dump refuses to dump a server newer than itself): --pg-bin alone when given;
     * else the source node's bin_directory ({@code nodeSetting}), the newest {@code /usr/lib/postgresql/N/bin}, PATH,
     * {@code pg_config --bindir}. None: one line naming the version needed, what was found, and where to point walferry.
     */
    public static PgBinaries findClient(Optional<Path> commandLine, Optional<Path> nodeSetting, int minimumMajor) {
        List<Path> candidates = new ArrayList<>();
        commandLine.ifPresent(candidates::add);
        if (commandLine.isEmpty()) {
            nodeSetting.ifPresent(candidates::add);
            if (Files.isDirectory(DEBIAN_ROOT)) {
                try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
                    versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                            .sorted(Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString())).reversed())
                            .forEach(v -> candidates.add(v.resolve("bin")));
                } catch (IOException e) {
                    // not readable: the other places remain
                }
            }
            String path = System.getenv("PATH");
            if (path != null) {
                for (String dir : path.split(":")) {
                    if (!dir.isEmpty()) {
                        candidates.add(Path.of(dir));
                    }
                }
            }
            pgConfigBindir().ifPresent(candidates::add);
        }
        List<String> seen = new ArrayList<>();
        for (Path dir : candidates) {
            boolean explicit = commandLine.equals(Optional.of(dir)) || nodeSetting.equals(Optional.of(dir));
            if (!Files.isExecutable(dir.resolve("pg_dump")) || !Files.isExecutable(dir.resolve("pg_restore"))) {
                if (explicit) {
                    seen.add(dir + " (no pg_dump and pg_restore)");
                }
                continue;
            }
            Optional<Integer> major = majorVersion(dir.resolve("pg_dump"));
            if (major.isPresent() && major.get() >= minimumMajor) {
                return new PgBinaries(dir);
            }
            String found = dir + " (" + major.map(String::valueOf).orElse("unknown version") + ")";
            if (!seen.contains(found)) {
                seen.add(found);
            }
        }
        throw WalferryException.config("no pg_dump and pg_restore of PostgreSQL " + minimumMajor + " or later, which the source's "
                        + "PostgreSQL " + minimumMajor + " needs (pg_dump cannot dump a newer server)"
                        + (seen.isEmpty() ? "" : ": found only " + String.join(", ", seen)),
                "install PostgreSQL " + minimumMajor + "'s client programs (Debian: postgresql-client-" + minimumMajor + ") and point "
                        + (commandLine.isPresent() ? "--pg-bin" : "--pg-bin (or the source node's bin_directory)") + " at their bin "
                        + "directory, unless they are in " + DEBIAN_ROOT + "/" + minimumMajor + "/bin or on PATH");
    }

    /** The major version a program says it is ({@code pg_dump --version}: "pg_dump (PostgreSQL) 15.4 ..."). */
    private static Optional<Integer> majorVersion(Path program) {
        try {
            Process p = new ProcessBuilder(program.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(PostgreSQL\\) (\\d+)").matcher(out);
            return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<Path> realServerDirectory(Path dir) {
        if (!holdsServer(dir)) {
            return Optional.empty();
        }
        try {
            Path real = dir.resolve("pg_ctl").toRealPath().getParent();
            return holdsServer(real) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean holdsServer(Path dir) {
        return Files.isExecutable(dir.resolve("pg_ctl")) && Files.isExecutable(dir.resolve("postgres"));
    }

    private static Optional<Path> pgConfigBindir() {
        try {
            Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) {
                return Optional.of(Path.of(out));
            }
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    private static Optional<Path> newestDebian() {
        if (!Files.isDirectory(DEBIAN_ROOT)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
            return versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString())).reversed())
                    .map(v -> v.resolve("bin"))
                    .filter(PgBinaries::holdsServer)
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
