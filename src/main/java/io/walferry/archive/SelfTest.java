package io.walferry.archive;

import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Proves, without PostgreSQL, that this installation can archive: it parses a configuration, registers a
 * cluster in a scratch repository, pushes a synthetic WAL segment with every compression and fetches it
 * back verified. It is also the workload the launcher records its startup cache from, so that
 * archive-push and archive-get start fast.
 */
public final class SelfTest {
    private static final Logger LOG = LoggerFactory.getLogger(SelfTest.class);
    private static final long SEGMENT = 16L << 20;

    private SelfTest() {
    }

    /** Runs every step; returns one line per step, or throws at the first that fails. */
    public static List<String> run(Path scratch) throws IOException {
        List<String> report = new ArrayList<>();
        Path repoDir = Files.createDirectories(scratch.resolve("repo"));
        Path config = scratch.resolve("walferry.yaml");
        Files.writeString(config, """
                cluster: selftest
                nodes: [{name: n1, data_directory: %s}]
                repositories: [{name: scratch, type: fs, path: %s}]
                archive: {spool_directory: %s}
                """.formatted(scratch, repoDir, scratch.resolve("spool")));
        WalferryConfig cfg = new ConfigLoader(Map.of()).load(config);
        report.add("configuration parsed: " + cfg.source());

        ClusterIdentity identity = new ClusterIdentity(7_000_000_000_000_000_001L, new PgVersion(15), SEGMENT);
        Repository repo = Repository.open(cfg.repositories().get(0), cfg.cluster(), false);
        repo.register(ClusterRecord.of(cfg.cluster(), identity, "self-test", "walferry self-test"));
        ArchiveSet set = ArchiveSet.open(cfg);
        report.add("repository registered: " + repo.describe());

        Path pgWal = Files.createDirectories(scratch.resolve("pg_wal"));
        int segno = 1;
        for (CompressionType type : CompressionType.values()) {
            WalFileName.Segment name = WalFileName.Segment.of(1, segno++, SEGMENT);
            Path segment = pgWal.resolve(name.fileName());
            Files.write(segment, syntheticSegment(identity, name));
            ArchivePusher.Result pushed = new ArchivePusher(set, Compression.defaultFor(type)).push(segment);
            Path back = scratch.resolve("restored-" + name.fileName());
            if (new ArchiveGetter(set.repositories()).get(name, back) != ArchiveGetter.Outcome.FOUND
                    || Files.mismatch(back, segment) != -1) {
                throw new WalferryException(Failure.FAILED, "self-test: " + type.label() + " round trip did not give back the same bytes",
                        "report this, with walferry --version and the Java version");
            }
            report.add(type.label() + " round trip: " + pushed.stored().get(repo.name()).summary());
        }
        report.add(s3RoundTrip(scratch, identity, pgWal.resolve(WalFileName.Segment.of(1, 1, SEGMENT).fileName())));
        report.forEach(step -> LOG.debug("self-test: {}", step));
        return report;
    }

    /** The S3 driver, with encryption, through a round trip against {@link LoopbackS3}. */
    private static String s3RoundTrip(Path scratch, ClusterIdentity identity, Path segment) throws IOException {
        Path key = scratch.resolve("s3.key");
        byte[] random = new byte[48];
        new java.security.SecureRandom().nextBytes(random);
        Files.writeString(key, java.util.Base64.getEncoder().encodeToString(random));
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (LoopbackS3 s3 = LoopbackS3.start()) {
            Path config = scratch.resolve("walferry-s3.yaml");
            Files.writeString(config, """
                    cluster: selftest
                    nodes: [{name: n1, data_directory: %s}]
                    repositories:
                      - name: loopback-s3
                        type: s3
                        bucket: self-test
                        endpoint: %s
                        path_style: true
                        retry_timeout: 5s
                        credentials: {access_key_id: self-test, secret_access_key: self-test}
                        encryption: {key: "${file:%s}"}
                    """.formatted(scratch, s3.endpoint(), key));
            Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            WalferryConfig cfg = new ConfigLoader(Map.of()).load(config);
            Repository repo = Repository.open(cfg.repositories().get(0), cfg.cluster(), true);
            repo.register(ClusterRecord.of(cfg.cluster(), identity, "self-test", "walferry self-test"));
            WalFileName.Segment name = WalFileName.Segment.of(1, 1, SEGMENT);
            var pushed = new ArchivePusher(ArchiveSet.open(cfg), Compression.defaultFor(CompressionType.LZ4)).push(segment);
            Path back = scratch.resolve("restored-s3-" + name.fileName());
            if (new ArchiveGetter(List.of(repo)).get(name, back) != ArchiveGetter.Outcome.FOUND || Files.mismatch(back, segment) != -1) {
                throw new WalferryException(Failure.FAILED, "self-test: the S3 round trip did not give back the same bytes",
                        "report this, with walferry --version and the Java version");
            }
            return "s3 driver round trip (loopback, encrypted): " + pushed.stored().get(repo.name()).summary();
        }
    }

    /** A segment whose first page has the long header archive-push checks; the rest is half text, half noise. */
    private static byte[] syntheticSegment(ClusterIdentity id, WalFileName.Segment name) {
        byte[] b = new byte[(int) SEGMENT];
        Random r = new Random(name.segmentNumber(SEGMENT));
        for (int i = 8192; i < b.length / 2; i++) {
            b[i] = (byte) ("walferry self-test ".charAt(i % 19));
        }
        byte[] noise = new byte[b.length / 2];
        r.nextBytes(noise);
        System.arraycopy(noise, 0, b, b.length / 2, noise.length);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        h.putShort(0, (short) id.version().walMagic()).putShort(2, (short) 0x0002).putInt(4, name.timeline())
                .putLong(8, name.segmentNumber(SEGMENT) * SEGMENT).putLong(16, 0).putLong(24, id.systemIdentifier())
                .putInt(32, (int) SEGMENT).putInt(36, 8192);
        return b;
    }
}
