package io.walferry.repository;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

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
}
