package io.walferry.repository.storage;

import io.walferry.repository.ClusterRecord;
import io.walferry.repository.CorruptObjectException;
import io.walferry.repository.PutOutcome;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.ObjectHeader;

import io.walferry.config.Compression;
import io.walferry.config.EncryptionConfig;
import io.walferry.config.Secret;
import software.amazon.awssdk.services.s3.S3Client;
import io.walferry.config.CompressionType;
import io.walferry.config.ConfigLoader;
import io.walferry.config.S3RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.storage.Storage.CommitOutcome;
import io.walferry.repository.storage.Storage.PendingObject;
import io.walferry.testing.FaultProxy;
import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.StsStandIn;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The S3 driver and a repository on it, against a real S3 API server (S3Proxy): round trips, no-clobber
 * commits, multipart objects, faults injected between the two, retries that give up, TLS trust, an assumed
 * role, and client-side encryption with a wrong key and a tampered object.
 */
class S3StorageIT {
    private static final String KEY = "xKmOOjS1kdG25JFfYkGH6m2IsF6K8LlC5gFlj+v/L1PACk2iUnckFOiUXdZpFr3a";
    private static S3ProxyServer s3;
    private static Path dir;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void start() {
        s3 = S3ProxyServer.start(false);
        dir = TempDirs.create("walferry-s3it-");
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    /** A repository configuration as a user writes it, on a fresh bucket. */
    private static S3RepositoryConfig config(String endpoint, String extra) throws IOException {
        String bucket = "bucket-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        Path file = Files.createTempFile(dir, "walferry-", ".yaml");
        Files.writeString(file, """
                cluster: test
                nodes:
                  - name: n1
                    data_directory: /tmp/none
                repositories:
                  - name: s3repo
                    type: s3
                    bucket: %s
                    prefix: /walferry/prod/
                    endpoint: %s
                    path_style: true
                %s""".formatted(bucket, endpoint, (extra.contains("credentials:") ? withDefaults(extra) : withDefaults(extra) + """
                credentials:
                  access_key_id: ${env:TEST_KEY_ID}
                  secret_access_key: ${env:TEST_SECRET}
                """).indent(4)));
        WalferryConfig c = new ConfigLoader(Map.of("TEST_KEY_ID", S3ProxyServer.ACCESS_KEY, "TEST_SECRET", S3ProxyServer.SECRET_KEY))
                .load(file);
        return (S3RepositoryConfig) c.repositories().get(0);
    }

    /** The test settings: small parts, short timeouts; {@code extra} may override them. */
    private static String withDefaults(String extra) {
        StringBuilder y = new StringBuilder(extra.isBlank() ? "" : extra.stripTrailing() + "\n");
        for (String d : List.of("part_size: 5MiB", "retry_timeout: 20s", "io_timeout: 2s")) {
            if (!extra.contains(d.substring(0, d.indexOf(':') + 1))) {
                y.append(d).append('\n');
            }
        }
        return y.toString();
    }

    private static S3RepositoryConfig config(String extra) throws IOException {
        return config(s3.endpoint().toString(), extra);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static CommitOutcome put(Storage storage, String key, byte[] content) throws IOException {
        try (PendingObject p = storage.create(key, 8)) {
            p.write(content, 8, content.length - 8);
            p.finish(ByteBuffer.wrap(content, 0, 8));
            try (InputStream back = p.readBack()) {
                assertThat(back.readAllBytes()).isEqualTo(content);
            }
            return p.commitIfAbsent();
        }
    }

    private static byte[] get(Storage storage, String key) throws IOException {
        try (InputStream in = storage.open(key).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    @Test
    void objectsRoundTripAndAreNeverReplaced() throws IOException {
        S3Storage storage = S3Storage.connect(config(""));
        byte[] a = random(100_000, 1);
        Instant started = Instant.now();
        assertThat(put(storage, "c/wal/0000000100000000/x", a)).isEqualTo(CommitOutcome.CREATED);
        assertThat(put(storage, "c/wal/0000000100000000/x", random(100_000, 2))).isEqualTo(CommitOutcome.ALREADY_EXISTS);
        assertThat(get(storage, "c/wal/0000000100000000/x")).isEqualTo(a);
        assertThat(storage.exists("c/wal/0000000100000000/x")).isTrue();
        assertThat(storage.exists("c/wal/0000000100000000/y")).isFalse();
        assertThat(storage.open("c/wal/0000000100000000/y")).isEmpty();
        assertThat(storage.list("c/wal")).containsExactly(new Storage.Entry("0000000100000000", 0, true, Instant.EPOCH));
        List<Storage.Entry> objects = storage.list("c/wal/0000000100000000");
        assertThat(objects).extracting(Storage.Entry::name, Storage.Entry::size, Storage.Entry::directory)
                .containsExactly(tuple("x", (long) a.length, false));
        assertThat(objects.get(0).modified()).as("when it was stored").isBetween(started.minusSeconds(60), Instant.now().plusSeconds(60));
        storage.delete("c/wal/0000000100000000/x");
        assertThat(storage.exists("c/wal/0000000100000000/x")).isFalse();
    }

    @Test
    void largeObjectsGoInPartsAndNeverClobber() throws IOException {
        S3Storage storage = S3Storage.connect(config(""));
        byte[] big = random(13 << 20, 3);
        assertThat(put(storage, "c/big", big)).isEqualTo(CommitOutcome.CREATED);
        assertThat(get(storage, "c/big")).isEqualTo(big);
        assertThat(put(storage, "c/big", random(13 << 20, 4))).isEqualTo(CommitOutcome.ALREADY_EXISTS);
        assertThat(get(storage, "c/big")).isEqualTo(big);
        assertThat(storage.list("c")).extracting(Storage.Entry::name).containsExactly("big");
    }

    @Test
    void olderStoresCanUseContentMd5Instead() throws IOException {
        S3Storage storage = S3Storage.connect(config("upload_checksum: md5"));
        byte[] small = random(70_000, 5);
        byte[] big = random(11 << 20, 6);
        assertThat(put(storage, "c/small", small)).isEqualTo(CommitOutcome.CREATED);
        assertThat(put(storage, "c/big", big)).isEqualTo(CommitOutcome.CREATED);
        assertThat(get(storage, "c/small")).isEqualTo(small);
        assertThat(get(storage, "c/big")).isEqualTo(big);
    }

    // ---- a repository on S3 -------------------------------------------------------------------------------

    private static final ClusterIdentity IDENTITY = new ClusterIdentity(7311234567890123456L, new PgVersion(15), 16 << 20);

    private static Repository registered(S3RepositoryConfig c) {
        Repository r = Repository.open(c, "test", true);
        r.register(ClusterRecord.of("test", IDENTITY, "now", "test"));
        return r;
    }

    private static WalFileName segment(int n) {
        return WalFileName.parse("%08X%08X%08X".formatted(1, 0, n));
    }

    /** WAL-like content: compressible runs with random bytes in between. */
    private static Path walFile(int n, int size) throws IOException {
        byte[] b = new byte[size];
        Random r = new Random(n);
        for (int i = 0; i < size; i += 8192) {
            int len = Math.min(8192, size - i);
            if ((i / 8192) % 2 == 0) {
                r.nextBytes(Arrays.copyOfRange(b, i, i + len));
                byte[] noise = new byte[len];
                r.nextBytes(noise);
                System.arraycopy(noise, 0, b, i, len);
            } else {
                Arrays.fill(b, i, i + len, (byte) n);
            }
        }
        Path p = dir.resolve("wal-" + n + "-" + size);
        Files.write(p, b);
        return p;
    }

    private static byte[] getWal(Repository r, WalFileName f) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(r.getWal(f, out)).as(f.fileName() + " found").isTrue();
        return out.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void walRoundTripsWithEachCompressionPlainAndEncrypted(CompressionType type) throws IOException {
        Compression c = Compression.defaultFor(type);
        for (boolean encrypted : new boolean[]{false, true}) {
            Repository r = registered(config(encrypted ? "encryption:\n  key: " + KEY : ""));
            for (int n = 1; n <= 3; n++) {
                Path wal = walFile(n, n == 3 ? 16 << 20 : 1 << 20);
                assertThat(r.putWal(segment(n), wal, c).outcome()).isEqualTo(PutOutcome.STORED);
                assertThat(r.putWal(segment(n), wal, c).outcome()).as("same content again").isEqualTo(PutOutcome.ALREADY_STORED);
                assertThat(getWal(r, segment(n))).as(type + (encrypted ? " encrypted" : "")).isEqualTo(Files.readAllBytes(wal));
            }
            assertThatThrownBy(() -> r.putWal(segment(1), walFile(9, 1 << 20), c))
                    .isInstanceOf(WalferryException.class).hasMessageContaining("with different content");
            assertThat(r.listWal()).hasSize(3);
            assertThat(r.clusterRecord().orElseThrow().encryption() != null).isEqualTo(encrypted);
        }
    }

    @Test
    void aWrongOrMissingKeyIsOneLineNamingTheRepository() throws IOException {
        S3RepositoryConfig good = config("encryption:\n  key: " + KEY);
        Repository r = registered(good);
        Path wal = walFile(1, 1 << 20);
        r.putWal(segment(1), wal, Compression.defaultFor(CompressionType.LZ4));

        S3RepositoryConfig wrong = withKey(good, Optional.of("another-key-of-more-than-32-characters!!"));
        assertThatThrownBy(() -> getWal(Repository.open(wrong, "test", false), segment(1)))
                .isInstanceOfSatisfying(WalferryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Failure.CONFIG);
                    assertThat(e.oneLine()).contains("repository s3repo: wrong encryption key").doesNotContain("\n")
                            .doesNotContain("another-key");
                });
        assertThatThrownBy(() -> Repository.open(wrong, "test", false).putWal(segment(2), wal, Compression.defaultFor(CompressionType.LZ4)))
                .hasMessageContaining("wrong encryption key");
        S3RepositoryConfig none = withKey(good, Optional.empty());
        assertThatThrownBy(() -> getWal(Repository.open(none, "test", false), segment(1)))
                .isInstanceOfSatisfying(WalferryException.class, e -> assertThat(e.oneLine())
                        .contains("repository s3repo holds encrypted objects").contains("set encryption.key"));
        assertThat(Repository.open(wrong, "test", false).listWal()).hasSize(1);
    }

    private static S3RepositoryConfig withKey(S3RepositoryConfig c, Optional<String> key) {
        return new S3RepositoryConfig(c.name(), c.required(), key.map(k -> new EncryptionConfig(new Secret(k, "inline"))),
                c.bucket(), c.prefix(), c.region(), c.endpoint(), c.pathStyle(), c.storageClass(), c.sse(), c.kmsKeyId(),
                c.verifyTls(), c.caFile(), c.credentials(), c.partSize(), c.uploadChecksum(), c.retryTimeout(), c.ioTimeout());
    }

    @Test
    void aTamperedObjectIsDetectedAndNothingIsHandedOver() throws IOException {
        S3RepositoryConfig c = config("encryption:\n  key: " + KEY);
        Repository r = registered(c);
        r.putWal(segment(1), walFile(1, 1 << 20), Compression.defaultFor(CompressionType.LZ4));
        Path stored = s3.objectFile(c.bucket(), c.prefix() + "/test/" + RepositoryLayout.wal(segment(1)));
        assertThat(stored).exists();
        byte[] original = Files.readAllBytes(stored);
        byte[] bad = original.clone();
        bad[ObjectHeader.SIZE + 500] ^= 0x40;
        Files.write(stored, bad);
        assertThatThrownBy(() -> getWal(r, segment(1))).isInstanceOf(CorruptObjectException.class).hasMessageContaining("altered");
        // the same change with the payload CRC rewritten to match: only the cipher can tell
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bad, ObjectHeader.SIZE, bad.length - ObjectHeader.SIZE);
        ByteBuffer.wrap(bad, 64, 4).putInt((int) crc.getValue());
        java.util.zip.CRC32C h = new java.util.zip.CRC32C();
        h.update(bad, 0, 68);
        ByteBuffer.wrap(bad, 68, 4).putInt((int) h.getValue());
        Files.write(stored, bad);
        assertThatThrownBy(() -> getWal(r, segment(1))).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("fails authentication");
        Files.write(stored, original);
        assertThat(getWal(r, segment(1))).isEqualTo(Files.readAllBytes(walFile(1, 1 << 20)));
    }

    // ---- faults between walferry and the server ----------------------------------------------------------

    @Test
    void injectedFaultsLoseNothingAndDuplicateNothing() throws IOException {
        try (FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            S3RepositoryConfig c = config("http://127.0.0.1:" + proxy.port(), "encryption:\n  key: " + KEY);
            Repository r = registered(c);
            proxy.plan(FaultProxy.every(2, FaultProxy.Fault.SERVER_ERROR, FaultProxy.Fault.DROP_REQUEST,
                    FaultProxy.Fault.DROP_RESPONSE, FaultProxy.Fault.SLOW));
            List<Path> files = new ArrayList<>();
            for (int n = 1; n <= 8; n++) {
                // every other one large enough for a multipart upload with 5 MiB parts
                Path wal = walFile(n, n % 2 == 0 ? 12 << 20 : 1 << 20);
                files.add(wal);
                assertThat(r.putWal(segment(n), wal, Compression.defaultFor(CompressionType.NONE)).outcome())
                        .isIn(PutOutcome.STORED, PutOutcome.ALREADY_STORED);
            }
            for (int n = 1; n <= 8; n++) {
                assertThat(getWal(r, segment(n))).as("segment " + n).isEqualTo(Files.readAllBytes(files.get(n - 1)));
            }
            assertThat(proxy.faultsInjected()).as(String.join("\n", proxy.log())).isGreaterThan(20);
            assertThat(proxy.log()).anyMatch(l -> l.endsWith("DROP_RESPONSE")).anyMatch(l -> l.endsWith("SLOW"));
            proxy.plan(req -> FaultProxy.Fault.NONE);
            assertThat(r.listWal()).hasSize(8);
            try (S3Client admin = s3.client()) {
                assertThat(admin.listMultipartUploads(b -> b.bucket(c.bucket())).uploads()).as("no unfinished upload left").isEmpty();
                assertThat(admin.listObjectsV2(b -> b.bucket(c.bucket())).contents()).as("8 segments and the registration")
                        .hasSize(9);
            }
        }
    }

    /** How long the retries take is TransientRetryTest's, on a clock of its own; here, that they end and what they say. */
    @Test
    void aServerThatKeepsFailingIsGivenUpOnAndSaysWhy() throws IOException {
        try (FaultProxy proxy = FaultProxy.start(s3.endpoint().getPort())) {
            S3RepositoryConfig c = config("http://127.0.0.1:" + proxy.port(), "retry_timeout: 3s");
            Repository r = registered(c);
            proxy.plan(req -> FaultProxy.Fault.SERVER_ERROR);
            int before = proxy.requests();
            int[] attempts = new int[1];
            assertThatThrownBy(() -> r.putWal(segment(1), walFile(1, 1 << 20), Compression.defaultFor(CompressionType.LZ4)))
                    .isInstanceOfSatisfying(WalferryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Failure.REPOSITORY);
                        assertThat(e.oneLine()).contains("repository s3repo").contains("HTTP 503").doesNotContain("\n");
                        Matcher m = Pattern.compile("failed (\\d+) times").matcher(e.oneLine());
                        assertThat(m.find()).as(e.oneLine()).isTrue();
                        attempts[0] = Integer.parseInt(m.group(1));
                    });
            assertThat(proxy.requests() - before).as("one request per attempt it reports, none after it gave up").isEqualTo(attempts[0]);
            proxy.plan(req -> FaultProxy.Fault.NONE);
            assertThat(r.listWal()).isEmpty();
        }
    }

    // ---- TLS and credentials ---------------------------------------------------------------------------

    @Test
    void tlsIsVerifiedAgainstTheConfiguredCa() throws IOException {
        try (S3ProxyServer tls = S3ProxyServer.start(true)) {
            S3ProxyServer plain = s3;
            s3 = tls;
            try {
                S3RepositoryConfig withCa = config(tls.endpoint().toString(), "ca_file: " + tls.caFile());
                registered(withCa).putWal(segment(1), walFile(1, 1 << 20), Compression.defaultFor(CompressionType.LZ4));
                assertThat(getWal(Repository.open(withCa, "test", false), segment(1))).hasSize(1 << 20);

                S3RepositoryConfig noCa = config(tls.endpoint().toString(), "retry_timeout: 3s");
                assertThatThrownBy(() -> Repository.open(noCa, "test", false).listWal())
                        .isInstanceOfSatisfying(WalferryException.class, e -> {
                            assertThat(e.kind()).isEqualTo(Failure.CONFIG);
                            assertThat(e.oneLine()).contains("TLS certificate").contains("ca_file").doesNotContain("\n");
                        });
            } finally {
                s3 = plain;
            }
        }
    }

    @Test
    void aRoleIsAssumedThroughSts() throws IOException {
        // STS cannot run here: StsStandIn answers AssumeRole as STS does, and S3Proxy accepts only the role's keys.
        try (S3ProxyServer roleOnly = S3ProxyServer.start(false, "ROLEKEYID", "role-secret-access-key-0123456789", true);
             StsStandIn sts = StsStandIn.start("ROLEKEYID", "role-secret-access-key-0123456789", "role-session-token")) {
            S3ProxyServer plain = s3;
            s3 = roleOnly;
            try {
                String creds = """
                        credentials:
                          access_key_id: BASEKEYID
                          secret_access_key: base-secret-access-key
                          role_arn: arn:aws:iam::210987654321:role/walferry-archive
                          external_id: walferry-ext-7
                          session_name: pg-east
                          sts_endpoint: %s
                        """.formatted(sts.endpoint());
                S3RepositoryConfig c = config(roleOnly.endpoint().toString(), creds);
                Repository r = registered(c);
                r.putWal(segment(1), walFile(1, 1 << 20), Compression.defaultFor(CompressionType.LZ4));
                assertThat(getWal(r, segment(1))).hasSize(1 << 20);
                assertThat(sts.calls()).isNotEmpty();
                StsStandIn.Call call = sts.calls().get(0);
                assertThat(call.parameters()).containsEntry("Action", "AssumeRole")
                        .containsEntry("RoleArn", "arn:aws:iam::210987654321:role/walferry-archive")
                        .containsEntry("ExternalId", "walferry-ext-7").containsEntry("RoleSessionName", "pg-east");
                assertThat(call.authorization()).contains("Credential=BASEKEYID/");
            } finally {
                s3 = plain;
            }
        }
    }

    @Test
    void verifyTlsFalseLeavesStsVerified() throws IOException {
        // verify_tls: false is for a store with a self-signed certificate; the credentials STS hands out must
        // still come only from an STS whose certificate checks out.
        try (S3ProxyServer roleOnly = S3ProxyServer.start(false, "ROLEKEYID", "role-secret-access-key-0123456789", true);
             StsStandIn sts = StsStandIn.startTls("ROLEKEYID", "role-secret-access-key-0123456789", "role-session-token")) {
            S3ProxyServer plain = s3;
            s3 = roleOnly;
            try {
                String creds = """
                        verify_tls: false
                        retry_timeout: 3s
                        credentials:
                          access_key_id: BASEKEYID
                          secret_access_key: base-secret-access-key
                          role_arn: arn:aws:iam::210987654321:role/walferry-archive
                          sts_endpoint: %s
                        """.formatted(sts.endpoint());
                S3RepositoryConfig c = config(roleOnly.endpoint().toString(), creds);
                assertThat(S3ClientFactory.transportWarnings(c)).singleElement().asString()
                        .contains("repository s3repo: verify_tls is false").contains("set ca_file");
                assertThatThrownBy(() -> Repository.open(c, "test", true).listWal()).isInstanceOfSatisfying(WalferryException.class,
                        e -> assertThat(e.oneLine()).contains("certificate").contains("not trusted").doesNotContain("\n"));
                assertThat(sts.calls()).as("no request reached an STS with an untrusted certificate").isEmpty();
            } finally {
                s3 = plain;
            }
        }
    }
}
