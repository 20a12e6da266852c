package io.walferry.postgres;

import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgBinariesTest {
    @TempDir
    Path tmp;

    private Path fakeBin(String name) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve(name));
        for (String p : new String[]{"pg_ctl", "postgres", "initdb"}) {
            Files.writeString(bin.resolve(p), "#!/bin/sh\n");
            Files.setPosixFilePermissions(bin.resolve(p), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    @Test
    void anExplicitDirectoryWinsAndMustHoldTheServer() throws IOException {
        Path bin = fakeBin("bin");
        assertThat(PgBinaries.find(Optional.of(bin), Optional.empty()).directory()).isEqualTo(bin);
        assertThat(PgBinaries.find(Optional.empty(), Optional.of(bin)).program("initdb")).isEqualTo(bin.resolve("initdb"));
        assertThatThrownBy(() -> PgBinaries.find(Optional.of(tmp.resolve("nothing")), Optional.empty()))
                .isInstanceOf(WalferryException.class).hasMessageContaining("no PostgreSQL server programs (pg_ctl, postgres) in");
    }

    @Test
    void findsAnInstalledServerWithoutHelp() {
        // This machine has PostgreSQL 15 (the integration tests need it); through PATH links or /usr/lib/postgresql.
        PgBinaries found = PgBinaries.find(Optional.empty(), Optional.empty());
        assertThat(found.program("postgres")).isExecutable();
        assertThat(found.program("pg_basebackup")).as("a real bin directory, not a directory of links").isExecutable();
    }
}
