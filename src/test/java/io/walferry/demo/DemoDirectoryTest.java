package io.walferry.demo;

import io.walferry.config.CurrentUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo deletes and starts what it finds in its directory: it takes only one nobody else can have prepared. */
class DemoDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void aNewEmptyOrEarlierDemoDirectoryOfThisUsersIsTakenAnythingElseRefused() throws IOException {
        assertThat(DemoDirectory.refusal(tmp.resolve("new"))).isEmpty();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThat(DemoDirectory.refusal(empty)).isEmpty();
        Path earlier = Files.createDirectories(tmp.resolve("earlier"));
        Files.createFile(earlier.resolve(DemoDirectory.MARKER));
        Files.writeString(earlier.resolve("agent.pid"), "1\n");
        assertThat(DemoDirectory.refusal(earlier)).isEmpty();

        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(work.resolve("thesis.tex"), "years of it");
        assertThat(DemoDirectory.refusal(work)).hasValueSatisfying(r -> assertThat(r).contains("is not empty and holds no earlier demo"));

        Path link = Files.createSymbolicLink(tmp.resolve("link"), earlier);
        assertThat(DemoDirectory.refusal(link)).hasValueSatisfying(r -> assertThat(r).contains("is not a directory (a symbolic link"));

        Files.setPosixFilePermissions(earlier, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThat(DemoDirectory.refusal(earlier)).hasValueSatisfying(r -> assertThat(r).contains("is writable by other users (rwxrwxrwx)"));
        Files.setPosixFilePermissions(earlier, PosixFilePermissions.fromString("rwx------"));

        if (CurrentUser.uid() == 0) { // only root can give a directory away
            Files.setAttribute(earlier, "unix:uid", 65534);
            assertThat(DemoDirectory.refusal(earlier)).hasValueSatisfying(r -> assertThat(r).contains("belongs to uid 65534, not to this user"));
        }
    }

    @Test
    void byDefaultUnderTheHomeNeverAFixedNameInTmp() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        assertThat(DemoDirectory.byDefault(Map.of(), home)).isEqualTo(home.resolve(".local/state/walferry/demo"));
        assertThat(DemoDirectory.byDefault(Map.of("XDG_STATE_HOME", tmp.resolve("state").toString()), home))
                .isEqualTo(tmp.resolve("state/walferry/demo"));
        Path none = DemoDirectory.byDefault(Map.of(), tmp.resolve("no-such-home"));
        try {
            assertThat(none.getFileName().toString()).startsWith("walferry-demo-").isNotEqualTo("walferry-demo-" + System.getProperty("user.name"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(none))).isEqualTo("rwx------");
        } finally {
            Files.deleteIfExists(none);
        }
    }
}
