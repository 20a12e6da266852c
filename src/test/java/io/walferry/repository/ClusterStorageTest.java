package io.walferry.repository;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.repository.storage.FsStorage;
import io.walferry.repository.storage.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A repository's storage as one cluster sees it: keys below the cluster's directory, failures in one line. */
class ClusterStorageTest {
    @TempDir
    Path root;

    @Test
    void keysAreBelowTheClustersDirectory() throws IOException {
        ClusterStorage s = new ClusterStorage("local", new FsStorage(root), "main");
        assertThat(s.key("wal/history/00000002.history")).isEqualTo("main/wal/history/00000002.history");
        assertThat(s.key("")).isEqualTo("main");
        s.writing("verify/x", () -> {
            try (Storage.PendingObject p = s.create("verify/x", 0, Storage.ReadBack.FILESYSTEM)) {
                p.write(new byte[]{1, 2, 3}, 0, 3);
                p.finish(ByteBuffer.allocate(0));
                return p.commitIfAbsent();
            }
        });
        assertThat(root.resolve("main/verify/x")).hasBinaryContent(new byte[]{1, 2, 3});
        assertThat(s.list("verify")).extracting(Storage.Entry::name).containsExactly("x");
        assertThat(s.reading("verify/x", () -> s.exists("verify/x"))).isTrue();
        s.delete("verify/x");
        assertThat(root.resolve("main/verify/x")).doesNotExist();
        s.removeEmptyDirectories("verify");
        assertThat(root.resolve("main/verify")).doesNotExist();
    }

    @Test
    void aStorageFailureIsOneLineNamingTheRepositoryTheKeyAndWhatToCheck() throws IOException {
        Files.createDirectories(root.resolve("main"));
        Files.writeString(root.resolve("main/wal"), "a file where the WAL directory belongs");
        ClusterStorage s = new ClusterStorage("local", new FsStorage(root), "main");
        assertThatThrownBy(() -> s.list("wal")).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.REPOSITORY);
            assertThat(e.getMessage()).startsWith("repository local: cannot read main/wal: NotDirectoryException");
            assertThat(e.hint()).isEqualTo("check that " + root + " is reachable and readable");
            assertThat(e.oneLine()).doesNotContain("\n");
        });
        assertThatThrownBy(() -> s.writing("wal/0000000100000000/000000010000000000000001", () -> {
            throw new IOException("No space left on device");
        })).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.REPOSITORY);
            assertThat(e.getMessage()).isEqualTo("repository local: cannot store main/wal/0000000100000000/000000010000000000000001: "
                    + "IOException: No space left on device");
            assertThat(e.hint()).contains("reachable, writable and not full");
        });
    }
}
