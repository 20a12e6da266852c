package io.walferry;

import io.walferry.fastpath.PrefetchQuestion;
import io.walferry.fastpath.PrefetchQueue;
import io.walferry.fastpath.RuntimeDirectory;
import io.walferry.postgres.WalFileName;
import io.walferry.testing.Await;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher script against what the Java side writes: both find the same runtime directory for a data directory,
 * the launcher trusts no link in it, and it never builds itself when PostgreSQL runs it. And the contract of their
 * shared files (docs/agent-protocol.md, io.walferry.fastpath) from both sides: the launcher's own bash functions,
 * sourced, run against directories the Java side wrote, and the Java side reads what the launcher wrote.
 */
class LauncherIT {
    private static final String WAL = "000000010000000000000001";
    private Path dir;
    private Path data;

    record Run(int code, String out, String err) {
    }

    private final List<ProcessHandle> standIns = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dir = TempDirs.create("wf-launcher-");
        data = Files.createDirectories(dir.resolve("data/pg_wal"));
        Files.write(data.resolve(WAL), new byte[8192]);
        data = data.getParent();
    }

    @AfterEach
    void tearDown() {
        standIns.forEach(ProcessHandle::destroyForcibly);
        TempDirs.deleteTree(dir);
    }

    /** The launcher in {@code cwd} with exactly {@code env} of walferry's and the session's variables. */
    private static Run launch(Path launcher, Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        return exec(cmd, cwd, env);
    }

    private static Run exec(List<String> cmd, Path cwd, Map<String, String> env) throws Exception {
        return exec(start(cmd, cwd, env));
    }

    private static Process start(List<String> cmd, Path cwd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("WALFERRY") || k.startsWith("XDG") || k.startsWith("PG"));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Run exec(Process p) throws Exception {
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("finished: " + p.info().commandLine().orElse("?")).isTrue();
        return new Run(p.exitValue(), new String(out.get()), new String(err.get()));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The launcher's functions, sourced (its main part does not run), then {@code script} in bash, in {@code cwd}:
     * a function that exits ends the script with its code; one that returns lets the script go on.
     */
    private static Process sourced(Path cwd, Map<String, String> env, String script) throws IOException {
        return start(List.of("bash", "-c", "source \"$1\" || exit 99\n" + script, "contract", WalferryFixture.launcher().toString()), cwd, env);
    }

    /** A process whose command line is {@code name}'s, as the launcher recognises the agent or a prefetcher by theirs. */
    private ProcessHandle standIn(String name) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "exec -a '" + name + "' sleep 300").start();
        standIns.add(p.toHandle());
        Await.until(Duration.ofSeconds(10), name + " to run", () -> Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).startsWith(name));
        return p.toHandle();
    }

    /** An ack as the agent writes it, in the runtime directory the Java side finds with {@code env}. */
    private RuntimeDirectory ack(Map<String, String> env) throws IOException {
        RuntimeDirectory fp = RuntimeDirectory.forDataDirectory(data, env);
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
        RuntimeDirectory fp = ack(session);
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
        RuntimeDirectory fp = RuntimeDirectory.forDataDirectory(data, Map.of("XDG_RUNTIME_DIR", xdgLink.toString()));
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

    @Test
    void thePushFastPathReadsTheAgentsAcksAndFailuresAsTheJavaSideWritesThem() throws Exception {
        Map<String, String> env = Map.of("WALFERRY_RUNTIME_DIR", dir.resolve("run").toString());
        String push = "wf_fast_archive_push pg_wal/" + WAL + "; echo \"returned $?\"";
        Run where = exec(sourced(data, env, "cd -P . && wf_runtime_dir && echo \"$wf_rt/${PWD//\\//%}\""));
        RuntimeDirectory rt = RuntimeDirectory.forDataDirectory(data, env);
        assertThat(where.out().strip()).as("the same directory by the same rule").isEqualTo(rt.path().toString());

        ProcessHandle agent = standIn("walferry agent");
        rt.prepare(agent.pid(), 1);
        Run r = exec(sourced(data, env, push));
        assertThat(r.code()).as("a live agent that has not acked yet, for its timeout: " + r.err()).isEqualTo(1);
        assertThat(r.err()).contains("the agent (pid " + agent.pid() + ") has not archived it within 1s");

        Path wal = data.resolve("pg_wal").resolve(WAL);
        rt.ack(WAL, wal);
        r = exec(sourced(data, env, push));
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).as("it exits: the agent decided").doesNotContain("returned");

        Files.setLastModifiedTime(wal, FileTime.fromMillis(Files.getLastModifiedTime(rt.path().resolve("acked").resolve(WAL)).toMillis() + 10_000));
        rt.fail(WAL, 4, "repository r: disk full\nsecond line");
        r = exec(sourced(data, env, push));
        assertThat(r.code()).as("a file changed since its ack is not confirmed; the agent's failure is: " + r.err()).isEqualTo(4);
        assertThat(r.err()).contains("archive-push " + WAL + ": the agent failed to archive it and retries: repository r: disk full second line");

        rt.forget(WAL);
        rt.close();
        r = exec(sourced(data, env, push));
        assertThat(r.out().strip()).as("no agent: the JVM decides").isEqualTo("returned 1");

        rt.prepare(standIn("sleep").pid(), 60);
        r = exec(sourced(data, env, push));
        assertThat(r.out().strip()).as("agent.pid naming a process that is no agent (a reused pid)").isEqualTo("returned 1");
    }

    /** Whether {@code p} holds {@code file} open. */
    private static boolean opened(Process p, Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException gone) {
                    return false;
                }
            });
        }
    }

    private static String segment(long n) {
        return WalFileName.Segment.of(1, n, 16 << 20).fileName();
    }

    @Test
    void theGetFastPathReadsTheQueueAsTheJavaSideWritesItAndTheJavaSideReadsWhatItRecords() throws Exception {
        Map<String, String> env = Map.of("WALFERRY_RUNTIME_DIR", dir.resolve("run").toString());
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        PrefetchQueue q = PrefetchQueue.of(data);
        q.prepare();
        q.startAt(new WalFileName.Segment(segment(5)));
        RuntimeDirectory.offerWaitFifo(data, env);
        String vars = "q=$PWD/" + PrefetchQueue.DIRECTORY + " d=" + RuntimeDirectory.forDataDirectory(data, env).path() + "\n";

        Run r = exec(sourced(data, env, vars + "wf_prefetcher_alive \"$q\"; echo \"returned $?\""));
        assertThat(r.out().strip()).as("no .pid").isEqualTo("returned 1");
        ProcessHandle prefetcher = standIn("walferry archive-prefetch stand-in");
        q.writePid(prefetcher.pid());
        r = exec(sourced(data, env, vars + "wf_prefetcher_alive \"$q\" && echo \"alive $wf_pf_pid\""));
        assertThat(r.out().strip()).isEqualTo("alive " + prefetcher.pid());

        // a queued segment is handed over with a move, and recorded where the prefetcher reads replay's place
        Files.writeString(q.dir().resolve(segment(5)), "verified segment 5");
        r = exec(sourced(data, env, "wf_fast_archive_get " + segment(5) + " pg_wal/RECOVERYXLOG; echo \"returned $?\""));
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(Files.readString(data.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo("verified segment 5");
        assertThat(q.queued()).isEmpty();
        assertThat(q.lastTaken()).contains(segment(5));

        // .from and .taken bound the wait: nothing before where replay was sent, nothing it took already, no other timeline
        for (String early : List.of(segment(4), segment(5), WalFileName.Segment.of(2, 7, 16 << 20).fileName())) {
            r = exec(sourced(data, env, vars + "wf_await_prefetch " + early + " \"$q\" \"$d\"; echo \"returned $?\""));
            assertThat(r.out().strip()).as(early).isEqualTo("returned 1");
        }
        // a segment being fetched is waited for, on the Java side's wait FIFO, until the prefetcher queues it
        Process waiting = sourced(data, env, vars + "wf_await_prefetch " + segment(6) + " \"$q\" \"$d\"; echo \"returned $?\"");
        Path fifo = RuntimeDirectory.forDataDirectory(data, env).path().resolve(RuntimeDirectory.WAIT_FIFO);
        Await.until(Duration.ofSeconds(10), "the launcher to wait on the FIFO the Java side made", () -> opened(waiting, fifo));
        assertThat(waiting.isAlive()).as("waiting for the prefetcher").isTrue();
        Files.writeString(q.dir().resolve(segment(6)), "verified segment 6");
        assertThat(exec(waiting).out().strip()).isEqualTo("returned 0");
        // one the prefetcher found missing is not waited for (the JVM, or on a standby the prefetcher, answers)
        q.markMissing(segment(7));
        long t0 = System.nanoTime();
        r = exec(sourced(data, env, vars + "wf_await_prefetch " + segment(7) + " \"$q\" \"$d\"; echo \"returned $?\""));
        assertThat(r.out().strip()).isEqualTo("returned 1");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not the 60 s wait").isLessThan(Duration.ofSeconds(30));

        // .taken rotated by the Java side: the launcher finds the last hand-over in .taken.old
        StringBuilder many = new StringBuilder();
        for (int i = 8; i < 3200; i++) {
            many.append(segment(i)).append('\n');
        }
        Files.writeString(q.dir().resolve(PrefetchQueue.TAKEN), many, java.nio.file.StandardOpenOption.APPEND);
        assertThat(q.lastTaken()).contains(segment(3199));
        assertThat(q.dir().resolve(PrefetchQueue.TAKEN)).doesNotExist();
        r = exec(sourced(data, env, vars + "wf_last_taken \"$q\" && echo \"$wf_taken\""));
        assertThat(r.out().strip()).isEqualTo(segment(3199));
    }

    @Test
    void aStandbysQuestionIsAnsweredByTheJavaSideWithTheLaunchersTicket() throws Exception {
        Map<String, String> env = Map.of("WALFERRY_RUNTIME_DIR", dir.resolve("run").toString());
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("standby.signal"), "");
        PrefetchQueue q = PrefetchQueue.of(data);
        q.prepare();
        q.writePid(standIn("walferry archive-prefetch stand-in").pid());
        String ask = "q=$PWD/" + PrefetchQueue.DIRECTORY + "\nwf_prefetcher_alive \"$q\" || exit 98\n"
                + "wf_ask_prefetcher \"$q\" \"\" 00000002.history; echo \"returned $?\"";
        Path question = q.dir().resolve(PrefetchQuestion.ASK);
        for (boolean archived : new boolean[]{false, true}) {
            Files.deleteIfExists(question);
            Process asking = sourced(data, env, ask);
            Await.until(Duration.ofSeconds(10), "the launcher's question", () -> Files.readString(question).endsWith("\n"));
            String ticket = Files.readString(question).strip().split(" ")[1];
            new PrefetchQuestion(q, (name, scratch) -> name.fileName().equals("00000002.history") && archived).answerIfAsked();
            assertThat(Files.readString(q.dir().resolve(PrefetchQuestion.ANSWER))).isEqualTo(ticket + (archived ? " found\n" : " missing\n"));
            Run r = exec(asking);
            if (archived) {
                assertThat(r.out().strip()).as("found: the JVM fetches it").isEqualTo("returned 0");
            } else {
                assertThat(r.code()).as("\"not in the archive\" to PostgreSQL, without a JVM: " + r.out() + r.err()).isEqualTo(1);
                assertThat(r.out()).doesNotContain("returned");
            }
        }
    }

    @Test
    void whatTheLauncherMakesForARestoredDataDirectorysFirstCallIsWhatTheJavaSideReads() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("WALFERRY_RUNTIME_DIR", dir.resolve("run").toString()));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("standby.signal"), "");
        Files.writeString(data.resolve("backup_label"), "CHECKPOINT LOCATION: 0/5000060\n");
        PrefetchQueue q = PrefetchQueue.of(data);
        // The prefetcher the launcher starts and asks exits at once (no configuration), and so does the JVM then.
        Run r = launch(WalferryFixture.launcher(), data, env, "-c", dir.resolve("absent.yaml").toString(), "archive-get",
                "00000002.history", "pg_wal/RECOVERYHISTORY");
        assertThat(r.code()).as("a standby's archive-get fails with 1: " + r.err()).isEqualTo(1);
        assertThat(r.err()).contains("absent.yaml does not exist");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(q.dir()))).as("made by the launcher").isEqualTo("rwx------");
        long pid = q.pid().orElseThrow(() -> new AssertionError("the launcher wrote no .pid"));
        assertThat(Files.readString(q.log())).as("the prefetcher's log").contains("absent.yaml does not exist");
        assertThat(Files.readString(q.dir().resolve(PrefetchQuestion.ASK))).as("the launcher's question")
                .matches("00000002\\.history [0-9]+-[0-9]+\n");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));

        // the Java side takes the directory over as it is and answers the question with its ticket
        q.prepare();
        try (PrefetchQueue.Lock lock = q.tryLock()) {
            assertThat(lock).isNotNull();
        }
        new PrefetchQuestion(q, (name, scratch) -> false).answerIfAsked();
        String ticket = Files.readString(q.dir().resolve(PrefetchQuestion.ASK)).strip().split(" ")[1];
        assertThat(Files.readString(q.dir().resolve(PrefetchQuestion.ANSWER))).isEqualTo(ticket + " missing\n");
    }

    @Test
    void whileTheAgentPromotesTheServerItAnswersEveryLookupOfTheEndOfRecoveryWithoutAJvm() throws Exception {
        Map<String, String> env = Map.of("WALFERRY_RUNTIME_DIR", dir.resolve("run").toString());
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        // the promote request is there (the segment in flight) and standby.signal is not (gone before the parent's history)
        Files.writeString(data.resolve("promote"), "");
        PrefetchQueue q = PrefetchQueue.of(data);
        q.prepare();
        PrefetchQuestion agent = PrefetchQuestion.forPromotion(q, (name, scratch) -> {
            if (!name.fileName().equals("00000001.history")) {
                return false;
            }
            try {
                Files.writeString(scratch, "1\t0/5000060\tno recovery target specified\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return true;
        });
        agent.announce(standIn("walferry agent stand-in").pid());
        // an absent configuration: a JVM would fail with its own message and exit code, not answer
        Path question = agent.file(PrefetchQuestion.ASK);
        for (String name : List.of(segment(3), "00000002.history", "00000001.history")) {
            Files.deleteIfExists(question);
            Process asking = start(List.of(WalferryFixture.launcher().toString(), "-c", dir.resolve("absent.yaml").toString(), "archive-get",
                    name, "pg_wal/RECOVERYXLOG"), data, env);
            Await.until(Duration.ofSeconds(20), "the launcher's question about " + name, () -> Files.readString(question).endsWith("\n"));
            agent.answerIfAsked();
            Run r = exec(asking);
            if (name.equals("00000001.history")) {
                assertThat(r.code()).as("found, verified, handed over: " + r.err()).isZero();
                assertThat(Files.readString(data.resolve("pg_wal/RECOVERYXLOG"))).startsWith("1\t0/5000060");
            } else {
                assertThat(r.code()).as(name + ": \"not in the archive\" to PostgreSQL, without a JVM: " + r.err()).isEqualTo(1);
                assertThat(r.err()).doesNotContain("absent.yaml");
            }
        }
        assertThat(Files.readString(agent.file(PrefetchQuestion.ANSWERED))).isEqualTo("segments 1 histories 1\n");

        // once the agent withdraws, the JVM answers again
        agent.withdraw();
        Run r = launch(WalferryFixture.launcher(), data, env, "-c", dir.resolve("absent.yaml").toString(), "archive-get",
                "00000002.history", "pg_wal/RECOVERYHISTORY");
        assertThat(r.err()).contains("absent.yaml does not exist");
    }
}
