package io.walferry.auxdir;

import io.walferry.config.AuxConfig;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;
import io.walferry.repository.format.EncodeGate;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A push from one node and pulls into another, through a real filesystem repository, in this JVM: what is uploaded,
 * what a pull removes and leaves, and that nothing is written through a link or left half-written.
 */
class AuxSyncTest {
    private static final ClusterIdentity IDENTITY = new ClusterIdentity(7_000_000_000_000_000_042L, new PgVersion(15), 16L << 20);

    private Path dir;
    private WalferryConfig config;
    private Path primary;
    private Path replica;

    @BeforeEach
    void setUp() throws IOException {
        dir = TempDirs.create("wf-auxsync-");
        Files.createDirectories(dir.resolve("repo"));
        primary = Files.createDirectories(dir.resolve("pg1-models"));
        replica = dir.resolve("pg2-models");
        Path yaml = Files.writeString(dir.resolve("walferry.yaml"), """
                cluster: test
                nodes:
                  - name: pg1
                    data_directory: %1$s/pg1
                  - name: pg2
                    data_directory: %1$s/pg2
                repositories:
                  - name: local
                    type: fs
                    path: %1$s/repo
                archive:
                  spool_directory: %1$s/spool
                aux_directories:
                  - name: models
                    path: %1$s/pg1-models
                    node_paths:
                      pg2: %1$s/pg2-models
                """.formatted(dir));
        config = new ConfigLoader(Map.of()).load(yaml);
        Repository.open(config.repositories().get(0), "test", false)
                .register(ClusterRecord.of("test", IDENTITY, "2026-11-22T00:00:00Z", "test"));
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    private AuxSync sync(String node) {
        return new AuxSync(config, config.node(node).orElseThrow(), AuxSync.repositories(config), EncodeGate.NONE, AuxSync.Progress.NONE);
    }

    private AuxSync.Pushed push() {
        AuxSync s = sync("pg1");
        return s.push(s.directories("models").get(0), false);
    }

    private AuxSync.Pulled pull() {
        AuxSync s = sync("pg2");
        AuxConfig.Directory d = s.directories("models").get(0);
        assertThat(d.path()).isEqualTo(replica);
        return s.pull(d, false);
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void onlyWhatChangedIsUploadedAndAPullRemovesOnlyWhatItPlaced() throws IOException {
        write(primary.resolve("a/one.txt"), "one");
        write(primary.resolve("a/two.txt"), "two");
        write(primary.resolve("same.txt"), "one");
        AuxSync.Pushed first = push();
        assertThat(first.repositories().get(0).objectsStored()).as("one object for two files of one content").isEqualTo(2);
        assertThat(push().repositories().get(0).written()).as("nothing changed: no new manifest").isFalse();

        AuxSync.Pulled pulled = pull();
        assertThat(pulled.written()).isEqualTo(3);
        assertThat(Files.readString(replica.resolve("a/two.txt"))).isEqualTo("two");
        write(replica.resolve("made-here.txt"), "mine");

        write(primary.resolve("a/two.txt"), "two, revised");
        Files.delete(primary.resolve("a/one.txt"));
        Files.delete(primary.resolve("same.txt"));
        AuxSync.RepositoryPush second = push().repositories().get(0);
        assertThat(second.written()).isTrue();
        assertThat(second.objectsStored()).isEqualTo(1);
        write(replica.resolve("same.txt"), "edited on the replica");

        AuxSync.Pulled again = pull();
        assertThat(again.problems()).isEmpty();
        assertThat(Files.readString(replica.resolve("a/two.txt"))).isEqualTo("two, revised");
        assertThat(replica.resolve("a/one.txt")).as("removed on the primary, as the last pull left it").doesNotExist();
        assertThat(replica.resolve("same.txt")).as("edited here: kept").hasContent("edited on the replica");
        assertThat(replica.resolve("made-here.txt")).as("made here: kept").hasContent("mine");
        assertThat(again.removed()).isEqualTo(1);
    }

    @Test
    void nothingIsWrittenThroughALinkAndNoTemporaryFileIsLeft() throws IOException {
        write(primary.resolve("sub/weights.bin"), "weights");
        write(primary.resolve("top.txt"), "top");
        push();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createDirectories(replica);
        Files.createSymbolicLink(replica.resolve("sub"), elsewhere);
        Path leftover = replica.resolve(".walferry-aux-0123456789abcdef.tmp");
        Files.writeString(leftover, "half a file from an interrupted pull");

        AuxSync.Pulled p = pull();
        assertThat(p.problems()).singleElement().satisfies(problem ->
                assertThat(problem.message()).contains("cannot place sub: something walferry does not copy (a link out of the directory"));
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertThat(s.toList()).as("nothing written through the link").isEmpty();
        }
        assertThat(replica.resolve("top.txt")).hasContent("top");
        assertThat(leftover).doesNotExist();
    }

    @Test
    void aPullBeforeAnyPushChangesNothing() {
        AuxSync.Pulled p = pull();
        assertThat(p.manifest()).isEmpty();
        assertThat(p.problems()).isEmpty();
        assertThat(replica).doesNotExist();
        assertThat(List.of(p.written(), p.removed())).containsOnly(0);
    }
}
