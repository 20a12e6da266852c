package io.walferry.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An HTTP/1.1 proxy between the S3 client and an S3 API server that breaks chosen requests (server errors, lost
 * requests, lost responses, slow answers), so tests can prove that retries neither lose nor duplicate anything.
 * <p>
 * Every client connection carries exactly one request: the proxy forces {@code Connection: close} in both directions,
 * which keeps message boundaries trivial (relay until EOF) and gives every request its own upstream connection.
 */
public final class FaultProxy implements AutoCloseable {

    /** One request as the fault plan sees it; {@code number} counts from 1 over the proxy's life. */
    public record Request(int number, String method, String target) {
    }

    public enum Fault {
        /** Pass the exchange through (with only its Connection headers rewritten). */
        NONE,
        /** Answer 503 SlowDown without contacting the server. */
        SERVER_ERROR,
        /** Send the server only part of the request, then reset both sides: the server never acts on it. */
        DROP_REQUEST,
        /**
         * Let the server act on the request, then reset the client halfway through the response: after half of
         * the body, or right after the head if the body's length is unknown, or halfway through the head if there
         * is no body (a complete bodiless response would count as a success).
         */
        DROP_RESPONSE,
        /**
         * Let the server act on the request, but hold its final answer back for {@link #slowDelay()}; a 100 Continue
         * still passes at once, or the client would never send the body.
         */
        SLOW
    }

    private static final int HEAD_LIMIT = 64 * 1024;
    // Long enough for any honest exchange, short enough that a stuck test fails instead of hanging.
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int DRAIN_TIMEOUT_MS = 2_000;
    private static final byte[] SLOW_DOWN_BODY = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
            + "<Message>Please reduce your request rate.</Message><RequestId>FAULT</RequestId></Error>").getBytes(UTF_8);

    private final ServerSocket server;
    private final int upstreamPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger faultsInjected = new AtomicInteger();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private volatile Function<Request, Fault> plan = request -> Fault.NONE;
    private volatile Duration slowDelay = Duration.ofSeconds(3);

    private FaultProxy(ServerSocket server, int upstreamPort) {
        this.server = server;
        this.upstreamPort = upstreamPort;
    }

    /** Starts a proxy on a free port of 127.0.0.1 that forwards to the server on 127.0.0.1:{@code upstreamPort}. */
    public static FaultProxy start(int upstreamPort) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            FaultProxy proxy = new FaultProxy(server, upstreamPort);
            Thread acceptor = new Thread(proxy::acceptLoop, "fault-proxy-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes every {@code n}-th request fail, with the faults of {@code rotation} taking turns; the others pass.
     * Decided by the request number alone, so concurrent requests cannot disturb the pattern.
     */
    public static Function<Request, Fault> every(int n, Fault... rotation) {
        if (n < 1 || rotation.length == 0) {
            throw new IllegalArgumentException("need n >= 1 and at least one fault");
        }
        Fault[] faults = rotation.clone();
        return request -> request.number() % n == 0 ? faults[(request.number() / n - 1) % faults.length] : Fault.NONE;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Chooses the fault for each request from now on; a {@code null} answer counts as {@link Fault#NONE}. */
    public void plan(Function<Request, Fault> plan) {
        this.plan = Objects.requireNonNull(plan);
    }

    public Duration slowDelay() {
        return slowDelay;
    }

    public void slowDelay(Duration delay) {
        this.slowDelay = Objects.requireNonNull(delay);
    }

    /** How many requests got a fault other than {@link Fault#NONE}. */
    public int faultsInjected() {
        return faultsInjected.get();
    }

    /** How many requests arrived, faulted or not. */
    public int requests() {
        return requests.get();
    }

    /** One line per request, {@code "<number> <method> <target> <fault>"}, in order of arrival. */
    public List<String> log() {
        return List.copyOf(log);
    }

    @Override
    public void close() {
        closed.countDown();
        closeQuietly(server);
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().name("fault-proxy-exchange").start(() -> new Exchange(client).run());
            } catch (IOException | RuntimeException e) {
                if (server.isClosed()) {
                    return;
                }
                // E.g. out of file descriptors: back off instead of spinning on the same error.
                awaitClosed(Duration.ofMillis(100));
            }
        }
    }

    /** Waits for {@code delay} or until the proxy closes; true if it closed. */
    private boolean awaitClosed(Duration delay) {
        try {
            return closed.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void register(Socket socket) {
        open.add(socket);
        // close() may have swept the set just before this socket joined it.
        if (closed.getCount() == 0) {
            closeQuietly(socket);
        }
    }

    private void release(Socket socket, boolean abortive) {
        if (socket == null) {
            return;
        }
        if (abortive) {
            try {
                // Linger 0 makes close() send a RST, which is what a crashed peer or broken network looks like.
                socket.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // already closed
            }
        }
        closeQuietly(socket);
        open.remove(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // nothing left to do with it
        }
    }

    /** One client connection and its single request. */
    private final class Exchange {
        private final Socket client;
        private Socket upstream;
        private InputStream fromClient;
        private OutputStream toClient;
        private InputStream fromUpstream;
        private OutputStream toUpstream;
        private Head head;
        private boolean abort;

        Exchange(Socket client) {
            this.client = client;
        }

        void run() {
            register(client);
            try {
                client.setSoTimeout(READ_TIMEOUT_MS);
                fromClient = new BufferedInputStream(client.getInputStream());
                // Raw socket streams: every write goes out at once, so no flush can be forgotten.
                toClient = client.getOutputStream();
                head = Head.read(fromClient);
                if (head == null) {
                    return;
                }
                String[] requestLine = head.start().split(" ", 3);
                if (requestLine.length < 3) {
                    return;
                }
                Request request = new Request(requests.incrementAndGet(), requestLine[0], requestLine[1]);
                Fault fault = Objects.requireNonNullElse(plan.apply(request), Fault.NONE);
                if (fault != Fault.NONE) {
                    faultsInjected.incrementAndGet();
                }
                log.add(request.number() + " " + request.method() + " " + request.target() + " " + fault);
                switch (fault) {
                    case SERVER_ERROR -> serverError();
                    case DROP_REQUEST -> dropRequest();
                    case NONE, DROP_RESPONSE, SLOW -> forward(fault);
                }
            } catch (IOException | RuntimeException e) {
                // Resets, timeouts and clients giving up are the normal business of this class, and one broken
                // exchange must not concern any other.
            } finally {
                release(client, abort);
                release(upstream, abort);
            }
        }

        private void connectUpstream() throws IOException {
            upstream = new Socket();
            register(upstream);
            upstream.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), upstreamPort), CONNECT_TIMEOUT_MS);
            upstream.setSoTimeout(READ_TIMEOUT_MS);
            fromUpstream = new BufferedInputStream(upstream.getInputStream());
            toUpstream = upstream.getOutputStream();
            // The SigV4 signature does not cover Connection, so rewriting it keeps the request valid.
            toUpstream.write(head.withConnectionClose());
        }

        private void forward(Fault fault) throws IOException {
            connectUpstream();
            // The body is relayed on its own thread because with Expect: 100-continue the client sends it only
            // after the server's interim answer, which this thread must relay first.
            Thread.ofVirtual().name("fault-proxy-body").start(this::relayRequestBody);
            Head response = relayInterimResponses();
            if (response == null) {
                return;
            }
            if (fault == Fault.SLOW && awaitClosed(slowDelay)) {
                return;
            }
            byte[] responseHead = response.withConnectionClose();
            if (fault == Fault.DROP_RESPONSE) {
                abort = true;
                long length = responseBodyLength(response);
                if (length == 0) {
                    // With no body, a whole head is a whole response and the client would simply succeed.
                    toClient.write(responseHead, 0, responseHead.length / 2);
                    return;
                }
                toClient.write(responseHead);
                if (length > 1) {
                    copy(fromUpstream, toClient, length / 2);
                }
                return;
            }
            toClient.write(responseHead);
            // The server closes after this response (Connection: close), which ends the body of any framing.
            fromUpstream.transferTo(toClient);
        }

        private void relayRequestBody() {
            try {
                fromClient.transferTo(toUpstream);
            } catch (IOException e) {
                // The exchange ended while the client was still connected; its owner closes the sockets.
            }
        }

        /** Relays 1xx answers (100 Continue) unchanged and returns the final response head, or null on EOF. */
        private Head relayInterimResponses() throws IOException {
            while (true) {
                Head response = Head.read(fromUpstream);
                if (response == null || response.status() / 100 != 1) {
                    return response;
                }
                toClient.write(response.raw());
            }
        }

        private long responseBodyLength(Head response) {
            int status = response.status();
            if (head.start().startsWith("HEAD ") || status == 204 || status == 304) {
                return 0;
            }
            return response.chunked() ? -1 : response.contentLength();
        }

        private void serverError() throws IOException {
            long length = head.contentLength();
            if (length > 0 && !head.expectsContinue()) {
                // A client still writing its body when the socket closes gets a broken pipe instead of the answer.
                client.setSoTimeout(DRAIN_TIMEOUT_MS);
                try {
                    copy(fromClient, OutputStream.nullOutputStream(), length);
                } catch (SocketTimeoutException e) {
                    // answer anyway
                }
            }
            String responseHead = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
                    + "Content-Length: " + SLOW_DOWN_BODY.length + "\r\n\r\n";
            toClient.write(responseHead.getBytes(ISO_8859_1));
            toClient.write(SLOW_DOWN_BODY);
            client.shutdownOutput();
        }

        private void dropRequest() throws IOException {
            abort = true;
            long length = head.contentLength();
            boolean chunked = head.chunked();
            if (length <= 0 && !chunked) {
                // Without a body the head alone is a complete request, so none of it may reach the server.
                return;
            }
            connectUpstream();
            if (head.expectsContinue()) {
                Head interim = Head.read(fromUpstream);
                if (interim == null || interim.status() != 100) {
                    return;
                }
                toClient.write(interim.raw());
            }
            if (chunked) {
                byte[] buffer = new byte[8192];
                int n = fromClient.read(buffer);
                if (n > 0) {
                    toUpstream.write(buffer, 0, Math.max(1, n / 2));
                }
            } else {
                copy(fromClient, toUpstream, length / 2);
            }
        }
    }

    /** Copies up to {@code length} bytes, fewer if the input ends first. */
    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[8192];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                return;
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** A request or response head: start line and header fields, with the bytes as received. */
    private record Head(byte[] raw, String start, List<String> fields) {
        private static final byte[] END = {'\r', '\n', '\r', '\n'};

        /** Reads up to and including the blank line; null if the stream ends before the first byte. */
        static Head read(InputStream in) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < END.length) {
                int b = in.read();
                if (b < 0) {
                    if (bytes.size() == 0) {
                        return null;
                    }
                    throw new EOFException("connection closed inside a message head");
                }
                if (bytes.size() == HEAD_LIMIT) {
                    throw new IOException("message head longer than " + HEAD_LIMIT + " bytes");
                }
                bytes.write(b);
                matched = b == END[matched] ? matched + 1 : b == '\r' ? 1 : 0;
            }
            byte[] raw = bytes.toByteArray();
            String[] lines = new String(raw, ISO_8859_1).split("\r\n");
            List<String> fields = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                if (!lines[i].isEmpty()) {
                    fields.add(lines[i]);
                }
            }
            return new Head(raw, lines[0], fields);
        }

        /** The first value of a header field, names compared case-insensitively; null if absent. */
        String header(String name) {
            for (String field : fields) {
                int colon = field.indexOf(':');
                if (colon > 0 && field.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return field.substring(colon + 1).trim();
                }
            }
            return null;
        }

        int status() {
            return Integer.parseInt(start.split(" ", 3)[1]);
        }

        /** The declared body length, or -1 if there is none. */
        long contentLength() {
            String value = header("Content-Length");
            return value == null ? -1 : Long.parseLong(value);
        }

        boolean chunked() {
            String value = header("Transfer-Encoding");
            return value != null && value.toLowerCase().contains("chunked");
        }

        boolean expectsContinue() {
            return "100-continue".equalsIgnoreCase(header("Expect"));
        }

        /** This head with any connection options replaced by {@code Connection: close}. */
        byte[] withConnectionClose() {
            StringBuilder text = new StringBuilder(start).append("\r\n");
            for (String field : fields) {
                String name = field.substring(0, Math.max(0, field.indexOf(':'))).trim();
                if (!name.equalsIgnoreCase("Connection") && !name.equalsIgnoreCase("Keep-Alive")) {
                    text.append(field).append("\r\n");
                }
            }
            return text.append("Connection: close\r\n\r\n").toString().getBytes(ISO_8859_1);
        }
    }
}
