package io.walferry.verify;

import io.walferry.config.Compression;
import io.walferry.config.ConfigLoader;
import io.walferry.config.CompressionType;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verify and repair over real filesystem repositories, without a server: segments written as PostgreSQL writes
 * their first page, a valid object under another segment's name, a missing segment, an unmounted repository.
 */
class VerifierTest {
    private static final long SEG = 1 << 20;
    private static final ClusterIdentity IDENTITY = new ClusterIdentity(7_000_000_000_000_000_042L, new PgVersion(15), SEG);

    private Path dir;
    private WalferryConfig config;

    @BeforeEach
    void setUp() throws IOException {
        dir = TempDirs.create("wf-verifier-");
        Files.createDirectories(dir.resolve("local"));
        Files.createDirectories(dir.resolve("copy"));
        Path yaml = Files.writeString(dir.resolve("walferry.yaml"), """
                cluster: test
                nodes:
                  - name: pg1
                    data_directory: %1$s/data
                repositories:
                  - name: local
                    type: fs
                    path: %1$s/local
                  - name: copy
                    type: fs
                    path: %1$s/copy
                    required: false
                  - name: gone
                    type: fs
                    path: %1$s/gone
                    required: false
                archive:
                  spool_directory: %1$s/spool
                  compression: lz4
                """.formatted(dir));
        config = new ConfigLoader(Map.of()).load(yaml);
        for (int i = 0; i < 2; i++) {
            Repository r = repository(i);
            r.register(ClusterRecord.of("test", IDENTITY, "2026-11-22T00:00:00Z", "test"));
            for (long n = 1; n <= 5; n++) {
                r.putWal(segment(n), segmentFile(n), new Compression(CompressionType.LZ4, 0));
            }
        }
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    private Repository repository(int index) {
        RepositoryConfig rc = config.repositories().get(index);
        return Repository.open(rc, config.cluster(), false);
    }

    private static WalFileName.Segment segment(long n) {
        return WalFileName.Segment.of(1, n, SEG);
    }

    private Path stored(String repository, long n) {
        WalFileName.Segment s = segment(n);
        return dir.resolve(repository).resolve("test/wal").resolve(s.group()).resolve(s.fileName());
    }

    /** A segment as PostgreSQL 15 starts one: its long page header, then anything. */
    private Path segmentFile(long n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) SEG).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, 1).putLong(8, n * SEG)
                .putLong(24, IDENTITY.systemIdentifier()).putInt(32, (int) SEG).putInt(36, 8192);
        for (int i = 40; i < b.capacity(); i += 4096) {
            b.put(i, (byte) (n + i));
        }
        Path p = dir.resolve("segment-" + n);
        Files.write(p, b.array());
        return p;
    }

    private VerifyReport verify() {
        return new Verifier(config, new Verifier.Options(Optional.empty(), Optional.empty(), 2), (done, total) -> { }).run();
    }

    @Test
    void aValidObjectUnderAnotherNameAndAMissingSegmentAreRepairedAnUnmountedRepositoryIsReported() throws Exception {
        // segment 2's object, intact, put in the place of segment 3: its checksum holds, its first page does not
        Files.copy(stored("copy", 2), stored("copy", 3), StandardCopyOption.REPLACE_EXISTING);
        Files.delete(stored("copy", 4));
        Object intact = Files.getAttribute(stored("copy", 5), "unix:ino");

        VerifyReport found = verify();
        assertThat(found.findings()).containsExactly(
                new Finding(Finding.Kind.CORRUPT, "copy", segment(3).fileName(), "decodes to a file that starts at 0/200000 but its name says "
                        + "0/300000: the file was renamed or recycled", List.of()),
                new Finding(Finding.Kind.GAP, "copy", segment(4).fileName(), "1 segment of timeline 1 missing: a recovery cannot replay past them",
                        List.of()),
                new Finding(Finding.Kind.UNREADABLE, "gone", "cluster.json", "directory " + dir.resolve("gone") + " does not exist: is it mounted?",
                        List.of()));
        assertThat(found.repositories().get(0).result().walObjects()).isEqualTo(5);

        VerifyReport repaired = new Repairer(config).repair(found);
        assertThat(repaired.repairs()).extracting(Repair::object, Repair::outcome, Repair::detail).containsExactly(
                org.assertj.core.groups.Tuple.tuple(segment(3).fileName(), Repair.Outcome.REPAIRED, "copied from repository local"),
                org.assertj.core.groups.Tuple.tuple(segment(4).fileName(), Repair.Outcome.REPAIRED, "copied from repository local"),
                org.assertj.core.groups.Tuple.tuple("cluster.json", Repair.Outcome.NOT_REPAIRED, "the repository could not be read"));
        assertThat(repaired.findings()).extracting(Finding::repository).containsExactly("gone");
        assertThat(Files.getAttribute(stored("copy", 5), "unix:ino")).as("a good object is left alone").isEqualTo(intact);

        ByteBuffer decoded = ByteBuffer.allocate((int) SEG);
        assertThat(repository(1).getWal(segment(3), new java.io.OutputStream() {
            @Override
            public void write(int b) {
                decoded.put((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                decoded.put(b, off, len);
            }
        })).isTrue();
        assertThat(decoded.array()).isEqualTo(Files.readAllBytes(segmentFile(3)));
        assertThat(verify().findings()).extracting(Finding::repository).containsExactly("gone");
    }

    @Test
    void anObjectThatReadsWellIsNeverReplacedEvenWhenVerifySaidOtherwise() throws Exception {
        Files.delete(stored("copy", 4));
        VerifyReport found = verify();
        // stored again by someone else (the agent catching up) between verify and its repair
        repository(1).putWal(segment(4), segmentFile(4), Compression.NONE);
        Object inode = Files.getAttribute(stored("copy", 4), "unix:ino");
        VerifyReport repaired = new Repairer(config).repair(found);
        assertThat(repaired.repairs()).extracting(Repair::object, Repair::outcome, Repair::detail).contains(
                org.assertj.core.groups.Tuple.tuple(segment(4).fileName(), Repair.Outcome.NOT_REPAIRED, "it reads well now: left as it is"));
        assertThat(Files.getAttribute(stored("copy", 4), "unix:ino")).isEqualTo(inode);
        assertThat(repaired.repositories().get(1).result().ok()).isTrue();
    }
}
