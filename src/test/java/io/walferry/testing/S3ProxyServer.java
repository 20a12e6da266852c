package io.walferry.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.AttributeMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 API server for the tests: S3Proxy (from Maven Central, copied into target/s3proxy by the build)
 * with its filesystem blob store, run as its own process so that its libraries never meet walferry's. It
 * checks AWS signatures against one fixed key pair, and optionally serves HTTPS with a self-signed
 * certificate whose PEM is {@link #caFile()}.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "walferry-test";
    public static final String SECRET_KEY = "walferry-test-secret-key-0123456789";

    private final Process process;
    private final URI endpoint;
    private final Path blobs;
    private final Path caFile;
    private final Path dir;

    private final String accessKey;
    private final String secretKey;

    private S3ProxyServer(Process process, URI endpoint, Path blobs, Path caFile, Path dir, String accessKey, String secretKey) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.process = process;
        this.endpoint = endpoint;
        this.blobs = blobs;
        this.caFile = caFile;
        this.dir = dir;
    }

    public static S3ProxyServer start(boolean tls) {
        return start(tls, ACCESS_KEY, SECRET_KEY, false);
    }

    /**
     * Starts a server that accepts only the given key pair. S3Proxy does not implement session tokens: for
     * temporary credentials (an assumed role) it must be told to ignore their header.
     */
    public static S3ProxyServer start(boolean tls, String accessKey, String secretKey, boolean ignoreSessionTokens) {
        Path jar = Path.of(System.getProperty("walferry.s3proxy.jar", "target/s3proxy/s3proxy.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": the build copies S3Proxy there (mvn process-test-resources)");
        }
        Path dir = TempDirs.create("walferry-s3-");
        try {
            Path blobs = Files.createDirectories(dir.resolve("blobs"));
            int port = freePort();
            URI endpoint = URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port);
            List<String> props = new ArrayList<>(List.of(
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + accessKey,
                    "s3proxy.credential=" + secretKey,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.identity=" + accessKey,
                    "jclouds.credential=" + secretKey,
                    "jclouds.filesystem.basedir=" + blobs));
            if (ignoreSessionTokens) {
                props.add("s3proxy.ignore-unknown-headers=true");
            }
            Path caFile = null;
            if (tls) {
                Path keystore = dir.resolve("keystore.p12");
                caFile = dir.resolve("ca.pem");
                String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
                run(List.of(keytool, "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-alias", "s3proxy",
                        "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                        "-storepass", "walferry", "-keypass", "walferry"));
                run(List.of(keytool, "-exportcert", "-rfc", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                        "-alias", "s3proxy", "-storepass", "walferry", "-file", caFile.toString()));
                props.add("s3proxy.secure-endpoint=" + endpoint);
                props.add("s3proxy.keystore-path=" + keystore);
                props.add("s3proxy.keystore-password=walferry");
            } else {
                props.add("s3proxy.endpoint=" + endpoint);
            }
            Path conf = dir.resolve("s3proxy.conf");
            Files.write(conf, props);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx512m", "-jar", jar.toString(), "--properties", conf.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
            S3ProxyServer server = new S3ProxyServer(p, endpoint, blobs, caFile, dir, accessKey, secretKey);
            Await.until(Duration.ofSeconds(60), "S3Proxy listening on " + endpoint, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("S3Proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
                }
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public Path caFile() {
        return caFile;
    }

    /** Where the blob store keeps the objects of a bucket: {@code blobs/<bucket>/<key>}. */
    public Path objectFile(String bucket, String key) {
        return blobs.resolve(bucket).resolve(key);
    }

    /** Creates a bucket, through the S3 API as an administrator would. */
    public void createBucket(String bucket) {
        try (S3Client client = client()) {
            client.createBucket(r -> r.bucket(bucket));
        }
    }

    /** A plain SDK client of this server, for setting up and inspecting, not for what walferry does. */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClient(ApacheHttpClient.builder().buildWithDefaults(AttributeMap.builder()
                        .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build()))
                .build();
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("s3proxy.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void run(List<String> cmd) throws IOException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException(cmd.get(0) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

}
