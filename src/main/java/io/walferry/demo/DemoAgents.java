package io.walferry.demo;

import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The demo's processes besides the servers: a walferry agent per node (each with its log and pid file in the demo's
 * directory), the HA watchdogs the agents start, and etcd. What an earlier run left running is found by its pid file
 * and stopped only when it is this user's process with this directory on its command line.
 */
final class DemoAgents {
    private static final String DASHBOARD = "dashboard";
    private static final String ROUTER = "router";
    private final Path dir;
    private final String launcher;
    private final Path config;
    private final Map<String, Process> running = new LinkedHashMap<>();

    DemoAgents(Path dir, String launcher, Path config) {
        this.dir = dir;
        this.launcher = launcher;
        this.config = config;
    }

    /** Starts the node's agent and returns once it has said it runs (its log ends in the demo's directory). */
    void start(String node) {
        launch(node, "agent-" + node, List.of("agent", "--node", node), "agent for node", "the walferry agent of " + node);
    }

    /** Starts walferry dashboard (monitoring.dashboard of the demo's configuration) and returns its address. */
    String startDashboard() {
        String said = launch(DASHBOARD, DASHBOARD, List.of(DASHBOARD), "walferry dashboard of cluster", "the walferry dashboard");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("walferry dashboard of cluster \\S+: (\\S+)").matcher(said);
        return m.find() ? m.group(1) : "(see " + dir.resolve(DASHBOARD + ".log") + ")";
    }

    /** Stops the dashboard and starts it again (on the same port) with the configuration as it is now. */
    String restartDashboard() {
        stop(DASHBOARD);
        return startDashboard();
    }

    /** Starts walferry router (the router: section of the demo's configuration) and returns once every endpoint listens. */
    void startRouter() {
        launch(ROUTER, ROUTER, List.of(ROUTER), "router: ro endpoint listening", "the walferry router");
    }

    /** Stops the router and starts it again (on the same ports) with the configuration as it is now. */
    void restartRouter() {
        stop(ROUTER);
        startRouter();
    }

    /** Starts a long-running walferry command under {@code key}, logging to {@code file}.log; returns its log once it said {@code ready}. */
    private String launch(String key, String file, List<String> args, String ready, String what) {
        Path log = dir.resolve(file + ".log");
        try {
            long from = Files.exists(log) ? Files.size(log) : 0;
            List<String> cmd = new ArrayList<>(List.of(launcher, "-c", config.toString()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            running.put(key, p);
            Files.writeString(dir.resolve(file + ".pid"), p.pid() + "\n");
            String[] said = new String[1];
            Deadline.after(Duration.ofSeconds(60)).lookingEvery(Duration.ofMillis(100)).awaitOr(() -> {
                said[0] = readFrom(log, from);
                if (said[0].contains(ready)) {
                    return true;
                }
                if (!p.isAlive()) {
                    throw didNotStart(what, log, from);
                }
                return false;
            }, () -> didNotStart(what, log, from));
            return said[0];
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot start " + what + " (" + launcher + "): " + e.getMessage(), null, e);
        }
    }

    /** Stops the node's agent as a service manager would (SIGTERM), and waits for it. */
    void stop(String node) {
        Process p = running.remove(node);
        if (p != null) {
            p.destroy();
            await(p);
        }
    }

    /** The agent dies at once (SIGKILL), as with its machine. */
    void kill(String node) {
        Process p = running.remove(node);
        if (p != null) {
            p.destroyForcibly();
            await(p);
        }
    }

    void stopAll() {
        for (String node : new ArrayList<>(running.keySet())) {
            stop(node);
        }
    }

    List<Long> pids() {
        return running.values().stream().map(Process::pid).toList();
    }

    /** Kills the watchdog the node's agent started (its pid file is in the node's HA directory), as with its machine. */
    static void killWatchdog(Path haDirectory, Path demoDir) {
        ours(haDirectory.resolve("watchdog.pid"), "walferry-watchdog", demoDir).ifPresent(ProcessHandle::destroyForcibly);
    }

    static java.util.Optional<Long> watchdogPid(Path haDirectory, Path demoDir) {
        return ours(haDirectory.resolve("watchdog.pid"), "walferry-watchdog", demoDir).map(ProcessHandle::pid);
    }

    /** What an earlier run left running in {@code dir}: its agents first (else they restart what is stopped), its dashboard and router, its watchdogs, its etcd. */
    static void stopEarlier(Path dir) throws IOException {
        String agentOf = "-c " + dir.resolve("walferry.yaml") + " agent";
        try (Stream<Path> s = Files.list(dir)) {
            for (Path pid : s.filter(p -> p.getFileName().toString().matches("agent(-.+)?\\.pid")).toList()) {
                ours(pid, agentOf, dir).ifPresent(DemoAgents::terminate);
            }
        }
        for (String command : List.of(DASHBOARD, ROUTER)) {
            ours(dir.resolve(command + ".pid"), "-c " + dir.resolve("walferry.yaml") + " " + command, dir).ifPresent(DemoAgents::terminate);
        }
        Path spool = dir.resolve("spool");
        if (Files.isDirectory(spool, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(spool, 4)) {
                for (Path pid : s.filter(p -> p.getFileName().toString().equals("watchdog.pid")).toList()) {
                    ours(pid, "walferry-watchdog", dir).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        ours(dir.resolve("etcd.pid"), "etcd", dir).ifPresent(DemoAgents::terminate);
    }

    private static void terminate(ProcessHandle p) {
        p.destroy();
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
        }
    }

    /** The process a pid file names, if it is this user's and its command line has both strings in it. */
    private static java.util.Optional<ProcessHandle> ours(Path pidFile, String what, Path dir) {
        if (!Files.isRegularFile(pidFile, LinkOption.NOFOLLOW_LINKS)) {
            return java.util.Optional.empty();
        }
        String user = System.getProperty("user.name");
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
                    .filter(p -> p.info().user().map(user::equals).orElse(false))
                    .filter(p -> p.info().commandLine().map(c -> c.contains(what) && c.contains(dir.toString())).orElse(false));
        } catch (IOException | NumberFormatException e) {
            return java.util.Optional.empty(); // not a pid: nothing to stop
        }
    }

    private static void await(Process p) {
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static WalferryException didNotStart(String what, Path log, long from) {
        return new WalferryException(Failure.FAILED, what + " did not start: " + readFrom(log, from).strip(),
                "see " + log);
    }

    private static String readFrom(Path log, long from) {
        try {
            byte[] b = Files.readAllBytes(log);
            return new String(b, (int) Math.min(from, b.length), (int) Math.max(0, b.length - from));
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot read " + log + ": " + e.getMessage(), null, e);
        }
    }
}
