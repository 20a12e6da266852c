package io.walferry.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for AWS STS, a cloud service which cannot run in tests: it answers the AssumeRole action with fixed
 * temporary credentials and records every call, so tests can drive walferry's {@code role_arn} path end to end and
 * check who asked for which role.
 */
public final class StsStandIn implements AutoCloseable {

    /** One request as received: its url-decoded form parameters and its Authorization header (may be null). */
    public record Call(Map<String, String> parameters, String authorization) {
        public Call {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }
    }

    private static final String NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
    private static final long DEFAULT_DURATION_SECONDS = 3600;

    private final HttpServer server;
    private final String scheme;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger answered = new AtomicInteger();
    private volatile String requiredExternalId;

    private StsStandIn(HttpServer server, String accessKeyId, String secretAccessKey, String sessionToken) {
        this.server = server;
        this.scheme = server instanceof HttpsServer ? "https" : "http";
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.sessionToken = sessionToken;
    }

    /** Starts on a free port of 127.0.0.1, handing out the given credentials to every successful AssumeRole. */
    public static StsStandIn start(String accessKeyId, String secretAccessKey, String sessionToken) {
        try {
            return serve(HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0),
                    accessKeyId, secretAccessKey, sessionToken);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static StsStandIn serve(HttpServer server, String accessKeyId, String secretAccessKey, String sessionToken) {
        StsStandIn sts = new StsStandIn(server, accessKeyId, secretAccessKey, sessionToken);
        server.createContext("/", sts::handle);
        server.start();
        return sts;
    }

    /**
     * As {@link #start}, over HTTPS with a self-signed certificate for 127.0.0.1 that no client trusts unless
     * told to: a stand-in for an STS endpoint that someone on the network path has replaced.
     */
    public static StsStandIn startTls(String accessKeyId, String secretAccessKey, String sessionToken) {
        Path dir = TempDirs.create("walferry-sts-");
        try {
            Path keystore = dir.resolve("sts.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                    "-alias", "sts", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                    "-ext", "SAN=ip:127.0.0.1", "-storepass", "walferry", "-keypass", "walferry").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException("keytool failed: " + out);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(keystore)) {
                ks.load(in, "walferry".toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "walferry".toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            return serve(server, accessKeyId, secretAccessKey, sessionToken);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    public URI endpoint() {
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
    }

    /** From now on, deny calls whose ExternalId differs or is missing, as a role's trust policy would. */
    public void requireExternalId(String externalId) {
        this.requiredExternalId = externalId;
    }

    /** Every call so far, denied ones included, in order of arrival. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            if (!"POST".equals(exchange.getRequestMethod())) {
                reply(exchange, 405, error("InvalidAction", "Only POST is supported by this stand-in."));
                return;
            }
            Map<String, String> parameters;
            try {
                parameters = parseForm(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, error("MalformedInput", "The request body is not form-encoded."));
                return;
            }
            calls.add(new Call(parameters, exchange.getRequestHeaders().getFirst("Authorization")));
            reply(exchange, answer(parameters));
        } finally {
            exchange.close();
        }
    }

    private Reply answer(Map<String, String> parameters) {
        if (!"AssumeRole".equals(parameters.get("Action"))) {
            return new Reply(400, error("InvalidAction", "This stand-in only knows AssumeRole."));
        }
        String required = requiredExternalId;
        if (required != null && !required.equals(parameters.get("ExternalId"))) {
            return new Reply(403, error("AccessDenied", "User is not authorized to perform: sts:AssumeRole"));
        }
        String roleArn = parameters.get("RoleArn");
        String sessionName = parameters.get("RoleSessionName");
        if (roleArn == null || sessionName == null) {
            return new Reply(400, error("ValidationError", "RoleArn and RoleSessionName are required."));
        }
        long seconds;
        try {
            String duration = parameters.get("DurationSeconds");
            seconds = duration == null ? DEFAULT_DURATION_SECONDS : Long.parseLong(duration);
        } catch (NumberFormatException e) {
            return new Reply(400, error("ValidationError", "DurationSeconds is not a number."));
        }
        // Whole seconds, so Instant prints the plain form STS uses, such as 2026-11-22T10:00:00Z.
        Instant expiration = Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS);
        String body = "<AssumeRoleResponse xmlns=\"" + NAMESPACE + "\">\n"
                + "  <AssumeRoleResult>\n"
                + "    <Credentials>\n"
                + "      <AccessKeyId>" + xml(accessKeyId) + "</AccessKeyId>"
                + "<SecretAccessKey>" + xml(secretAccessKey) + "</SecretAccessKey>"
                + "<SessionToken>" + xml(sessionToken) + "</SessionToken>\n"
                + "      <Expiration>" + expiration + "</Expiration>\n"
                + "    </Credentials>\n"
                + "    <AssumedRoleUser><AssumedRoleId>AROASTANDIN:" + xml(sessionName) + "</AssumedRoleId>"
                + "<Arn>" + xml(roleArn + "/" + sessionName) + "</Arn></AssumedRoleUser>\n"
                + "  </AssumeRoleResult>\n"
                + "  <ResponseMetadata><RequestId>standin-" + answered.incrementAndGet() + "</RequestId></ResponseMetadata>\n"
                + "</AssumeRoleResponse>\n";
        return new Reply(200, body);
    }

    private record Reply(int status, String body) {
    }

    private static void reply(HttpExchange exchange, Reply reply) throws IOException {
        reply(exchange, reply.status(), reply.body());
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String error(String code, String message) {
        return "<ErrorResponse xmlns=\"" + NAMESPACE + "\"><Error><Type>Sender</Type><Code>" + code + "</Code>"
                + "<Message>" + xml(message) + "</Message></Error><RequestId>standin</RequestId></ErrorResponse>";
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            parameters.put(URLDecoder.decode(name, UTF_8), URLDecoder.decode(value, UTF_8));
        }
        return parameters;
    }

    private static String xml(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
