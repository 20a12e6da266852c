package io.walferry.fastpath;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CatchUpMarkersTest {
    @TempDir
    Path spool;

    @Test
    void markersAreOwnerOnlyWhateverTheUmask() throws IOException {
        CatchUpMarkers markers = CatchUpMarkers.in(spool.resolve("cluster/node"));
        markers.mark("offsite", "000000010000000000000001");
        markers.mark("offsite", "000000010000000000000001");
        assertThat(markers.list()).extracting(CatchUpMarkers.Marker::fileName).containsExactly("000000010000000000000001");
        try (Stream<Path> all = Files.walk(spool.resolve("cluster"))) {
            for (Path p : all.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                        .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }
}
