package io.walferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A walferry agent running as its own process, as the server's OS user, that tests can stop or kill -9. */
public final class AgentProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static AgentProcess start(WalferryFixture f) {
        return start(f, null);
    }

    /** The agent of one node of a configuration with several (null: the only node). */
    static AgentProcess start(WalferryFixture f, String node) {
        return start(f, node, f.config());
    }

    /** As above, with a configuration file of its own (a node that reaches etcd through a proxy, say). */
    static AgentProcess start(WalferryFixture f, String node, Path config) {
        List<String> cmd = new ArrayList<>(List.of(WalferryFixture.launcher().toString(), "-c", config.toString(), "agent"));
        if (node != null) {
            cmd.addAll(List.of("--node", node));
        }
        return launch(f, cmd, "agent for node", "the agent");
    }

    /** A long-running command of the launcher ({@code walferry dashboard}, say), started once its log shows {@code ready}. */
    static AgentProcess launch(WalferryFixture f, List<String> cmd, String ready, String what) {
        Path log = f.dir().resolve("process-" + System.nanoTime() + ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(f.asServerUser(cmd)).directory(f.dir().toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("WALFERRY"));
            AgentProcess a = new AgentProcess(pb.start(), log);
            Await.until(Duration.ofSeconds(60), what + " to start (log: " + log + ")",
                    () -> {
                        if (!a.process.isAlive()) {
                            throw new AssertionError(what + " exited with " + a.process.exitValue() + ":\n" + a.log());
                        }
                        return a.log().contains(ready);
                    });
            return a;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The JVM itself (runuser forks it). */
    public Optional<ProcessHandle> jvm() {
        return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false)).findFirst()
                .or(() -> process.info().command().map(c -> c.endsWith("java")).orElse(false) ? Optional.of(process.toHandle()) : Optional.empty());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL to the JVM only; runuser then reaps it and exits, so no zombie is left behind. */
    public void kill9() {
        Optional<ProcessHandle> jvm = jvm();
        jvm.ifPresent(ProcessHandle::destroyForcibly);
        if (jvm.isEmpty()) {
            process.destroyForcibly();
        }
        Await.until(Duration.ofSeconds(30), "the killed agent to exit", () -> !process.isAlive());
    }

    /** SIGTERM, and wait for the clean stop. */
    public void stop() {
        jvm().ifPresent(ProcessHandle::destroy);
        Await.until(Duration.ofSeconds(90), "the agent to stop", () -> !process.isAlive());
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }
}
