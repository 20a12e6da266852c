package io.walferry;

import io.walferry.agent.FastPathDirectory;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher script against what the Java side writes: both find the same runtime directory for a data directory,
 * the launcher trusts no link in it, and it never builds itself when PostgreSQL runs it.
 */
class LauncherIT {
    private static final String WAL = "000000010000000000000001";
    private Path dir;
    private Path data;

    record Run(int code, String err) {
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = TempDirs.create("wf-launcher-");
        data = Files.createDirectories(dir.resolve("data/pg_wal"));
        Files.write(data.resolve(WAL), new byte[8192]);
        data = data.getParent();
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    /** The launcher in {@code cwd} with exactly {@code env} of walferry's and the session's variables. */
    private static Run launch(Path launcher, Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        return exec(cmd, cwd, env);
    }

    private static Run exec(List<String> cmd, Path cwd, Map<String, String> env) throws Exception {
        Path err = Files.createTempFile("wf-err-", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectError(err.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().keySet().removeIf(k -> k.startsWith("WALFERRY") || k.startsWith("XDG") || k.startsWith("PG"));
            pb.environment().putAll(env);
            Process p = pb.start();
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("finished: " + cmd).isTrue();
            return new Run(p.exitValue(), Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** An ack as the agent writes it, in the runtime directory the Java side finds with {@code env}. */
    private FastPathDirectory ack(Map<String, String> env) throws IOException {
        FastPathDirectory fp = FastPathDirectory.forDataDirectory(data, env);
        fp.prepare(ProcessHandle.current().pid(), 60);
        fp.ack(WAL, data.resolve("pg_wal").resolve(WAL));
        return fp;
    }

    /** archive-push of the acked file; a configuration that does not exist makes any JVM exit 2. */
    private Run push(Map<String, String> env) throws Exception {
        return launch(WalferryFixture.launcher(), data, env, "-c", dir.resolve("absent.yaml").toString(), "archive-push", "pg_wal/" + WAL);
    }

    @Test
    void theLauncherFindsTheAcksWhereTheAgentWritesThem() throws Exception {
        Path xdg = Files.createDirectories(dir.resolve("xdg"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Map<String, String> session = Map.of("XDG_RUNTIME_DIR", xdg.toString());
        FastPathDirectory fp = ack(session);
        assertThat(fp.path()).as("a login session's runtime directory before /tmp").startsWithRaw(xdg.resolve("walferry"));
        Run r = push(session);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(push(Map.of()).err()).as("elsewhere the JVM decides").contains("absent.yaml does not exist");

        Path own = dir.resolve("run");
        Map<String, String> override = Map.of("WALFERRY_RUNTIME_DIR", own.toString(), "XDG_RUNTIME_DIR", xdg.toString());
        fp.close();
        assertThat(ack(override).path()).startsWithRaw(own);
        r = push(override);
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void aLinkInTheRuntimeDirectoryIsNotFollowed() throws Exception {
        Path real = dir.resolve("real-run");
        ack(Map.of("WALFERRY_RUNTIME_DIR", real.toString()));
        Run r = push(Map.of("WALFERRY_RUNTIME_DIR", real.toString()));
        assertThat(r.code()).as(r.err()).isZero();

        // Anyone can plant a link in /tmp: -O and -d would judge its target, which is this user's.
        Path link = Files.createSymbolicLink(dir.resolve("planted"), real);
        r = push(Map.of("WALFERRY_RUNTIME_DIR", link.toString()));
        assertThat(r.code()).as("the JVM decides, not a planted ack").isEqualTo(2);
        assertThat(r.err()).contains("absent.yaml does not exist");

        Path xdgLink = Files.createSymbolicLink(dir.resolve("xdg-link"), Files.createDirectories(dir.resolve("xdg")));
        FastPathDirectory fp = FastPathDirectory.forDataDirectory(data, Map.of("XDG_RUNTIME_DIR", xdgLink.toString()));
        assertThat(fp.path()).as("a linked XDG_RUNTIME_DIR is not used").startsWithRaw(Path.of("/tmp"));
    }

    @Test
    void whenPostgresqlRunsItTheLauncherNeverBuildsButSaysSoInOneLine() throws Exception {
        // A source checkout whose jar is missing, and an mvn that only leaves a mark.
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Path launcher = checkout.resolve("walferry");
        Files.copy(WalferryFixture.launcher(), launcher, StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(checkout.resolve("pom.xml"), "<project/>");
        Files.createDirectories(checkout.resolve("src/main"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path mark = dir.resolve("maven-ran");
        Files.writeString(bin.resolve("mvn"), "#!/bin/sh\ntouch " + mark + "\n");
        Files.setPosixFilePermissions(bin.resolve("mvn"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));

        Files.writeString(data.resolve("recovery.signal"), "");
        Run get = launch(launcher, data, env, "-c", dir.resolve("absent.yaml").toString(), "archive-get", WAL, "pg_wal/RECOVERYXLOG");
        assertThat(get.code()).as("archive recovery must stop, not end: " + get.err()).isEqualTo(126);
        assertThat(get.err().strip()).contains("does not build itself when PostgreSQL runs it").contains("hint: build it once")
                .doesNotContain("\n");
        Run push = launch(launcher, data, env, "archive-push", "pg_wal/" + WAL);
        assertThat(push.code()).isEqualTo(2);

        // Any command whose parent is a postgres process (the name is what the kernel shows).
        Path postgres = Files.createSymbolicLink(bin.resolve("postgres"), Path.of("/bin/bash"));
        Run info = exec(List.of(postgres.toString(), "-c", "\"$0\" info; exit $?", launcher.toString()), data, env);
        assertThat(info.code()).as(info.err()).isEqualTo(2);
        assertThat(info.err()).contains("does not build itself when PostgreSQL runs it");
        assertThat(mark).as("no build").doesNotExist();

        launch(launcher, data, env, "--version");
        assertThat(mark).as("a user's call still builds").exists();
    }
}
