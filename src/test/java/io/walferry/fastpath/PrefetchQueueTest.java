package io.walferry.fastpath;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

class PrefetchQueueTest {
    @TempDir
    Path dir;

    private void append(String text) throws IOException {
        Files.writeString(dir.resolve(".taken"), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void lastTakenFollowsTheLauncherThroughPartialLinesAndRotation() throws IOException {
        PrefetchQueue q = new PrefetchQueue(dir);
        assertThat(q.lastTaken()).isEmpty();
        append("000000010000000000000003\n000000010000000000000004\n0000000100000000");
        assertThat(q.lastTaken()).contains("000000010000000000000004"); // the half-written line is not read yet
        append("00000005\n");
        assertThat(q.lastTaken()).contains("000000010000000000000005");
        StringBuilder many = new StringBuilder();
        for (int i = 6; i < 6000; i++) {
            many.append(String.format("00000001%08X%08X%n", i >> 8, i & 0xFF));
        }
        append(many.toString());
        assertThat(q.lastTaken()).contains(String.format("00000001%08X%08X", 5999 >> 8, 5999 & 0xFF));
        assertThat(dir.resolve(".taken")).doesNotExist(); // started afresh: it does not grow without end
        append("000000010000001800000000\n");
        assertThat(q.lastTaken()).contains("000000010000001800000000");
    }

    @Test
    void dropUpToRemovesOnlyWhatReplayHasPassedOnItsTimeline() throws IOException {
        for (String n : new String[]{"000000010000000000000003", "000000010000000000000004", "000000010000000000000005",
                "000000020000000000000004"}) {
            Files.writeString(dir.resolve(n), "x");
        }
        new PrefetchQueue(dir).dropUpTo("000000010000000000000004");
        assertThat(new PrefetchQueue(dir).queued()).containsExactly("000000010000000000000005", "000000020000000000000004");
    }

    @Test
    void removesQueuedSegmentsAndLeftoverTemporaryFilesButNotItsRecords() throws IOException {
        PrefetchQueue q = new PrefetchQueue(dir);
        for (String n : new String[]{"000000010000000000000003", "000000010000000000000004",
                ".000000010000000000000005.walferry-123-abc.tmp", ".taken", ".from", ".lock"}) {
            Files.writeString(dir.resolve(n), "x");
        }
        q.removeTemporaryFiles();
        assertThat(dir.resolve(".000000010000000000000005.walferry-123-abc.tmp")).doesNotExist();
        assertThat(q.queued()).hasSize(2);
        q.removeQueued();
        assertThat(q.queued()).isEmpty();
        assertThat(dir.resolve(".taken")).exists();
        assertThat(dir.resolve(".from")).exists();
        assertThat(dir.resolve(".lock")).exists();
    }
}
