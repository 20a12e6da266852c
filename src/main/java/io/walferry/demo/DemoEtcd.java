package io.walferry.demo;

import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One etcd member on loopback for the demo's HA act, with its data under the demo's directory. */
final class DemoEtcd implements AutoCloseable {
    private static final List<Path> PLACES = List.of(Path.of("/usr/bin/etcd"), Path.of("/usr/local/bin/etcd"));

    private final Process process;
    private final int port;

    private DemoEtcd(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Debian's etcd-server, or one on the PATH; empty when there is none. */
    static Optional<Path> binary() {
        for (Path p : PLACES) {
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path p = Path.of(d.isEmpty() ? "." : d, "etcd");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    static DemoEtcd start(Path binary, Path dir, int clientPort, int peerPort) {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        try {
            Process p = new ProcessBuilder(binary.toString(), "--name", "demo", "--data-dir", dir.resolve("etcd").toString(),
                    "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
                    "--initial-advertise-peer-urls", peer, "--initial-cluster", "demo=" + peer)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
            DemoEtcd e = new DemoEtcd(p, clientPort);
            Deadline.after(Duration.ofSeconds(30)).lookingEvery(Duration.ofMillis(100)).awaitOr(() -> {
                if (!p.isAlive()) {
                    throw new WalferryException(Failure.FAILED, "etcd exited at start", "see " + dir.resolve("etcd.log"));
                }
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), clientPort)) {
                    return true;
                } catch (IOException notYet) {
                    return false;
                }
            }, () -> new WalferryException(Failure.FAILED, "etcd did not answer on port " + clientPort, "see " + dir.resolve("etcd.log")));
            return e;
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot start etcd (" + binary + "): " + e.getMessage(), null, e);
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
    }
}
