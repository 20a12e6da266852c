package io.walferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real etcd (Debian's etcd-server, 3.4) for tests: one member, or several forming one cluster, on loopback ports of
 * their own, each with a data directory under {@code dir}. Members can be killed and started again.
 */
public final class EtcdServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/etcd");

    private final Path dir;
    private final List<Member> members = new ArrayList<>();

    private static final class Member {
        final String name;
        final int clientPort;
        final int peerPort;
        Process process;

        Member(String name, int clientPort, int peerPort) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }
    }

    private EtcdServer(Path dir) {
        this.dir = dir;
    }

    /** Starts a cluster of {@code size} members and waits until each answers. */
    public static EtcdServer start(Path dir, int size) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("no " + BINARY + ": install Debian's etcd-server (run-tests does)");
        }
        EtcdServer e = new EtcdServer(dir);
        for (int i = 1; i <= size; i++) {
            e.members.add(new Member("etcd" + i, freePort(), freePort()));
        }
        for (int i = 0; i < size; i++) {
            e.startMember(i);
        }
        for (int i = 0; i < size; i++) {
            e.awaitAnswering(i);
        }
        return e;
    }

    /** The client URLs, comma-separated, as ha.etcd.endpoints takes them. */
    public String endpoints() {
        return String.join(",", members.stream().map(m -> "http://127.0.0.1:" + m.clientPort).toList());
    }

    public int clientPort(int member) {
        return members.get(member).clientPort;
    }

    public void kill(int member) {
        Process p = members.get(member).process;
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public void restart(int member) {
        kill(member);
        startMember(member);
        awaitAnswering(member);
    }

    private void startMember(int i) {
        Member m = members.get(i);
        String cluster = String.join(",", members.stream().map(x -> x.name + "=http://127.0.0.1:" + x.peerPort).toList());
        Path data = dir.resolve(m.name);
        Path log = dir.resolve(m.name + ".log");
        boolean fresh = !Files.exists(data);
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--name", m.name, "--data-dir", data.toString(),
                    "--listen-client-urls", "http://127.0.0.1:" + m.clientPort, "--advertise-client-urls", "http://127.0.0.1:" + m.clientPort,
                    "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort, "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
                    "--initial-cluster", cluster, "--initial-cluster-state", fresh ? "new" : "existing",
                    "--initial-cluster-token", "walferry-test-" + dir.getFileName(), "--heartbeat-interval", "100", "--election-timeout", "1000"));
            m.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start etcd member " + m.name, e);
        }
    }

    /** Waits until the member accepts TCP connections on its client port (it serves once it has joined). */
    private void awaitAnswering(int i) {
        Member m = members.get(i);
        try {
            awaitListening(m);
        } catch (AssertionError e) {
            String log;
            try {
                log = Files.readString(dir.resolve(m.name + ".log"));
            } catch (IOException io) {
                log = io.toString();
            }
            throw new AssertionError(e.getMessage() + "\n---- " + m.name + ".log ----\n"
                    + log.lines().skip(Math.max(0, log.lines().count() - 40)).reduce("", (a, b) -> a + b + "\n"), e);
        }
    }

    private void awaitListening(Member m) {
        Await.until(Duration.ofSeconds(60), "etcd member " + m.name + " to answer on port " + m.clientPort, () -> {
            if (!m.process.isAlive()) {
                throw new IllegalStateException("etcd member " + m.name + " exited: " + Files.readString(dir.resolve(m.name + ".log")));
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), m.clientPort)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Ports handed out in this JVM: two members must never get the same one, though each was free when asked. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static int freePort() {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no loopback port left that was not handed out already");
    }

    @Override
    public void close() {
        for (int i = 0; i < members.size(); i++) {
            kill(i);
        }
    }
}
