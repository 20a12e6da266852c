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

    /** A bin directory with a pg_dump and pg_restore that say they are of {@code major}. */
    private Path fakeClient(String name, int major) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve(name));
        for (String p : new String[]{"pg_dump", "pg_restore"}) {
            Files.writeString(bin.resolve(p), "#!/bin/sh\necho '" + p + " (PostgreSQL) " + major + ".2'\n");
            Files.setPosixFilePermissions(bin.resolve(p), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    @Test
    void clientProgramsOfTheSourcesVersionOrLaterComeFromPgBinTheSourceNodeOrTheMachine() throws IOException {
        Path seventeen = fakeClient("17", 17);
        assertThat(PgBinaries.findClient(Optional.of(seventeen), Optional.empty(), 17).directory()).isEqualTo(seventeen);
        assertThat(PgBinaries.findClient(Optional.empty(), Optional.of(seventeen), 16).directory()).isEqualTo(seventeen);
        // the source node's bin_directory without pg_dump: the machine's (this one has PostgreSQL 15's)
        Path serverOnly = fakeBin("server-only");
        assertThat(PgBinaries.findClient(Optional.empty(), Optional.of(serverOnly), 15).program("pg_dump")).isExecutable();
    }

    @Test
    void aPgDumpOlderThanTheSourceIsOneLineNamingTheVersionAndWhereToPointWalferry() throws IOException {
        Path sixteen = fakeClient("16", 16);
        assertThatThrownBy(() -> PgBinaries.findClient(Optional.of(sixteen), Optional.empty(), 17))
                .isInstanceOf(WalferryException.class)
                .hasMessage("no pg_dump and pg_restore of PostgreSQL 17 or later, which the source's PostgreSQL 17 needs (pg_dump cannot "
                        + "dump a newer server): found only " + sixteen + " (16)")
                .satisfies(e -> assertThat(((WalferryException) e).hint()).startsWith("install PostgreSQL 17's client programs "
                        + "(Debian: postgresql-client-17) and point --pg-bin at their bin directory"));
        Path serverOnly = fakeBin("server-only");
        assertThatThrownBy(() -> PgBinaries.findClient(Optional.empty(), Optional.of(serverOnly), 99))
                .isInstanceOf(WalferryException.class)
                .hasMessageContaining("PostgreSQL 99 or later").hasMessageContaining(serverOnly + " (no pg_dump and pg_restore)")
                .satisfies(e -> assertThat(((WalferryException) e).hint()).contains("--pg-bin (or the source node's bin_directory)"));
    }
}
