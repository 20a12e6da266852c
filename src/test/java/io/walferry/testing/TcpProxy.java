package io.walferry.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A user-space TCP relay for tests that need a network fault between two processes on loopback (tc netem does not
 * work here): it passes bytes both ways until {@link #cut()}, which drops every open connection and, until
 * {@link #heal()}, takes new ones without answering (as a partition does: the client waits for its own timeouts).
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean closed;

    private TcpProxy(ServerSocket server, int upstreamPort) {
        this.server = server;
        this.upstreamPort = upstreamPort;
    }

    public static TcpProxy start(int upstreamPort) {
        try {
            ServerSocket s = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            TcpProxy p = new TcpProxy(s, upstreamPort);
            Thread t = new Thread(p::accept, "tcp-proxy-" + s.getLocalPort());
            t.setDaemon(true);
            t.start();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Drops every connection; new ones are held without an answer until {@link #heal()}. */
    public void cut() {
        cut = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    public void heal() {
        cut = false;
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            open.add(client);
            if (cut) {
                continue; // held: no answer, no close, until cut() or close() drops it
            }
            Thread t = new Thread(() -> relay(client), "tcp-proxy-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void relay(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5_000);
        } catch (IOException e) {
            closeQuietly(client);
            return;
        }
        open.add(upstream);
        Thread back = new Thread(() -> pump(upstream, client), "tcp-proxy-back");
        back.setDaemon(true);
        back.start();
        pump(client, upstream);
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while (!cut && (n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side gone, or cut
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
