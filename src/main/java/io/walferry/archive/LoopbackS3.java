package io.walferry.archive;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The few S3 calls one archived file makes (conditional PUT with a checksum, HEAD, GET), answered on
 * loopback from memory, so that the self-test can take walferry's S3 driver through a round trip without
 * a bucket: it proves the driver works in this installation, and its classes go into the startup cache.
 * It checks neither signatures nor anything else a real store checks; it is not a store.
 */
final class LoopbackS3 implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();

    private LoopbackS3(HttpServer server) {
        this.server = server;
    }

    static LoopbackS3 start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        LoopbackS3 s3 = new LoopbackS3(server);
        server.createContext("/", s3::handle);
        server.start();
        return s3;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String key = x.getRequestURI().getPath();
            byte[] stored = objects.get(key);
            switch (x.getRequestMethod()) {
                case "PUT" -> put(x, key);
                case "HEAD", "GET" -> {
                    if (stored == null) {
                        error(x, 404, "NoSuchKey");
                        return;
                    }
                    x.getResponseHeaders().add("ETag", "\"" + Integer.toHexString(java.util.Arrays.hashCode(stored)) + "\"");
                    if (x.getRequestMethod().equals("HEAD")) {
                        x.getResponseHeaders().add("Content-Length", Integer.toString(stored.length));
                        x.sendResponseHeaders(200, -1);
                    } else {
                        x.sendResponseHeaders(200, stored.length);
                        try (OutputStream out = x.getResponseBody()) {
                            out.write(stored);
                        }
                    }
                }
                default -> error(x, 501, "NotImplemented");
            }
        }
    }

    private void put(HttpExchange x, String key) throws IOException {
        byte[] body;
        try (InputStream in = x.getRequestBody()) {
            body = in.readAllBytes();
        }
        String payload = x.getRequestHeaders().getFirst("x-amz-content-sha256");
        if (payload != null && payload.startsWith("STREAMING-")) {
            body = unchunk(body);
        }
        String sent = x.getRequestHeaders().getFirst("x-amz-checksum-crc32c");
        CRC32C crc = new CRC32C();
        crc.update(body);
        String actual = Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        if (sent != null && !sent.equals(actual)) {
            error(x, 400, "BadDigest");
            return;
        }
        if ("*".equals(x.getRequestHeaders().getFirst("If-None-Match")) && objects.putIfAbsent(key, body) != null) {
            error(x, 412, "PreconditionFailed");
            return;
        }
        objects.put(key, body);
        if (sent != null) {
            x.getResponseHeaders().add("x-amz-checksum-crc32c", actual);
        }
        x.getResponseHeaders().add("ETag", "\"" + Integer.toHexString(java.util.Arrays.hashCode(body)) + "\"");
        x.sendResponseHeaders(200, -1);
    }

    /** The payload of an aws-chunked body ("size;chunk-signature=...\\r\\n" data "\\r\\n", ..., size 0 last). */
    private static byte[] unchunk(byte[] body) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length);
        int at = 0;
        while (at < body.length) {
            int eol = at;
            while (eol + 1 < body.length && !(body[eol] == '\r' && body[eol + 1] == '\n')) {
                eol++;
            }
            String head = new String(body, at, eol - at, StandardCharsets.US_ASCII);
            int size = Integer.parseInt(head.split(";", 2)[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(body, eol + 2, size);
            at = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static void error(HttpExchange x, int status, String code) throws IOException {
        byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + code
                + "</Message><RequestId>loopback</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/xml");
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, xml.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(xml);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
