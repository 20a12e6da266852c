package io.walferry.repository;

import io.walferry.repository.storage.FsStorage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The newest stored segment on a range of timelines, and when it was stored, from a listing of the newest groups only. */
class NewestSegmentTest {
    @TempDir
    Path root;

    private void stored(String name, String when) throws IOException {
        Path p = root.resolve("c/wal").resolve(name.substring(0, 16)).resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "x");
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse(when)));
    }

    private String newest(Repository r, int from, int to) {
        return r.newestSegment(from, to).map(w -> w.name().fileName() + "@" + w.stored()).orElse("none");
    }

    @Test
    void theFurthestSegmentOnTheTimelinesWithWhenItWasStored() throws IOException {
        Repository r = new Repository("local", new FsStorage(root), "c");
        assertThat(newest(r, 1, Integer.MAX_VALUE)).isEqualTo("none");
        stored("0000000100000000000000FE", "2026-11-22T09:00:00Z");
        stored("000000010000000100000002", "2026-11-22T10:00:00Z");
        stored("000000010000000100000001", "2026-11-22T10:30:00Z");
        stored("000000010000000100000003.partial", "2026-11-22T11:00:00Z");
        stored("00000002.history", "2026-11-22T11:00:00Z");
        stored("000000020000000100000003", "2026-11-22T11:10:00Z");
        stored("000000030000000000000001", "2026-11-22T12:00:00Z");

        assertThat(newest(r, 1, 1)).isEqualTo("000000010000000100000002@2026-11-22T10:00:00Z");
        assertThat(newest(r, 1, 2)).isEqualTo("000000020000000100000003@2026-11-22T11:10:00Z");
        assertThat(newest(r, 1, Integer.MAX_VALUE)).as("further in the WAL, not on the highest timeline")
                .isEqualTo("000000020000000100000003@2026-11-22T11:10:00Z");
        assertThat(newest(r, 3, 3)).isEqualTo("000000030000000000000001@2026-11-22T12:00:00Z");
        assertThat(newest(r, 4, 9)).isEqualTo("none");
    }
}
