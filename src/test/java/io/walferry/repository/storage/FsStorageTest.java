package io.walferry.repository.storage;

import io.walferry.repository.Repository;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FsStorageTest {
    @TempDir
    Path root;

    private static void write(Storage.PendingObject p, String text) throws IOException {
        byte[] b = text.getBytes();
        p.write(b, 0, b.length);
        p.finish(ByteBuffer.allocate(0));
    }

    private String read(FsStorage s, String key) throws IOException {
        try (InputStream in = s.open(key).orElseThrow()) {
            return new String(in.readAllBytes());
        }
    }

    @Test
    void commitPublishesWholeAndNeverReplaces() throws IOException {
        FsStorage s = new FsStorage(root);
        try (Storage.PendingObject p = s.create("c/wal/g/obj", 0)) {
            write(p, "first");
            assertThat(s.open("c/wal/g/obj")).as("invisible before commit").isEmpty();
            assertThat(p.commitIfAbsent()).isEqualTo(Storage.CommitOutcome.CREATED);
        }
        try (Storage.PendingObject p = s.create("c/wal/g/obj", 0)) {
            write(p, "second");
            assertThat(p.commitIfAbsent()).isEqualTo(Storage.CommitOutcome.ALREADY_EXISTS);
        }
        assertThat(read(s, "c/wal/g/obj")).isEqualTo("first");
        try (Storage.PendingObject p = s.create("c/wal/g/other", 0)) {
            write(p, "abandoned by close");
        }
        assertThat(s.list("c/wal/g")).extracting(Storage.Entry::name).containsExactly("obj");
        try (var files = Files.list(root.resolve("c/wal/g"))) {
            assertThat(files.count()).as("no temporary file left").isEqualTo(1);
        }
    }

    @Test
    void removesTemporaryObjectsOfDeadWritersOnly() throws Exception {
        FsStorage s = new FsStorage(root);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(10, TimeUnit.SECONDS);
        String host = InetAddress.getLocalHost().getHostName().replace('.', '_');
        Path dir = Files.createDirectories(root.resolve("c/wal/g"));
        Path dead = Files.writeString(dir.resolve(".000000010000000000000001." + host + "." + gone.pid() + ".1a2b.tmp"), "partial");
        Path live = Files.writeString(dir.resolve(".000000010000000000000002." + host + "." + ProcessHandle.current().pid() + ".3c4d.tmp"), "in flight");
        Path otherHost = Files.writeString(dir.resolve(".000000010000000000000003.elsewhere." + gone.pid() + ".5e6f.tmp"), "not ours to judge");

        assertThat(s.removeAbandoned("c")).isEqualTo(1);
        assertThat(dead).doesNotExist();
        assertThat(live).exists();
        assertThat(otherHost).exists();
    }

    @Test
    void whatItCreatesOnlyItsOwnerCanReadWhateverTheUmask() throws IOException {
        // The test JVM's umask is a shell's (usually 022): without explicit modes all of this would be 0755/0644.
        Path repo = root.resolve("repo");
        Repository.open(new io.walferry.config.FsRepositoryConfig("r", repo, true, java.util.Optional.empty()), "c", true);
        FsStorage s = new FsStorage(repo);
        for (String key : new String[]{"c/wal/0000000100000000/000000010000000000000001", "c/backup/20240101T000000Z/global/1260"}) {
            try (Storage.PendingObject p = s.create(key, 0)) {
                write(p, "secret rows");
                assertThat(p.commitIfAbsent()).isEqualTo(Storage.CommitOutcome.CREATED);
            }
        }
        try (var all = Files.walk(repo)) {
            for (Path p : all.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                        .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
        assertThat(PrivateFiles.exposure(repo, repo.resolve("c"))).isEmpty();
        Files.setPosixFilePermissions(repo, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(PrivateFiles.exposure(repo, repo.resolve("c"))).as("the cluster's directory guards what is in it").isEmpty();
        Files.setPosixFilePermissions(repo.resolve("c"), PosixFilePermissions.fromString("rwxr-x--x"));
        assertThat(PrivateFiles.exposure(repo, repo.resolve("c")))
                .hasValueSatisfying(w -> assertThat(w).contains(repo.resolve("c") + " is open to other users (rwxr-x--x)"));
    }

    @Test
    void symbolicLinksInsideTheRepositoryAreNotFollowed() throws IOException {
        Path repo = Files.createDirectories(root.resolve("repo"));
        Path outside = Files.createDirectories(root.resolve("elsewhere"));
        Path precious = Files.writeString(outside.resolve("000000010000000000000001"), "not the repository's");
        Path group = Files.createDirectories(repo.resolve("c/wal"));
        Files.createSymbolicLink(group.resolve("0000000100000000"), outside);
        Files.createSymbolicLink(group.resolve("0000000100000001"), precious);
        FsStorage s = new FsStorage(repo);

        assertThat(s.list("c/wal")).as("links are not listed").isEmpty();
        assertThatThrownBy(() -> s.list("c/wal/0000000100000000")).hasMessageContaining("leads out of the repository");
        assertThatThrownBy(() -> s.delete("c/wal/0000000100000000/000000010000000000000001"))
                .hasMessageContaining("leads out of the repository").hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> s.open("c/wal/0000000100000000/000000010000000000000001")).hasMessageContaining("leads out of the repository");
        assertThatThrownBy(() -> s.create("c/wal/0000000100000000/000000010000000000000002", 0)).hasMessageContaining("leads out of the repository");
        assertThatThrownBy(() -> s.open("c/wal/0000000100000001")).as("a link as the object itself is not read").isInstanceOf(IOException.class);
        s.delete("c/wal/0000000100000001");
        s.removeEmptyDirectories("c");
        assertThat(precious).as("nothing outside the repository deleted").hasContent("not the repository's");
        assertThat(outside.resolve("000000010000000000000002")).doesNotExist();

        // The root itself may be a link (a mount point's alias).
        Path alias = Files.createSymbolicLink(root.resolve("alias"), repo);
        FsStorage viaAlias = new FsStorage(alias);
        try (Storage.PendingObject p = viaAlias.create("c/wal/0000000100000002/000000010000000200000001", 0)) {
            write(p, "ok");
            assertThat(p.commitIfAbsent()).isEqualTo(Storage.CommitOutcome.CREATED);
        }
        assertThat(read(viaAlias, "c/wal/0000000100000002/000000010000000200000001")).isEqualTo("ok");
    }
}
