package io.walferry.archive;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.ArchivingSetup;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import io.walferry.repository.ClusterRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** check's decisions, from what it read: every misconfiguration named with its fix; a risk is a warning, not a failure. */
class ArchiveReadinessTest {
    private static final ClusterIdentity SERVER = new ClusterIdentity(7350000000000000001L, PgVersion.fromVersionNum(150018), 16 << 20);
    private static final ArchivingSetup GOOD = new ArchivingSetup("replica", "on", "/usr/bin/walferry archive-push %p", 10, List.of("replicator"));

    private static ReadinessProbe.RepositoryState registered(String name, ClusterIdentity identity) {
        return new ReadinessProbe.RepositoryState(name, name + " (fs /repo)",
                Optional.of(ClusterRecord.of("main", identity, "2026-01-01T00:00:00Z", "walferry test")), Optional.empty());
    }

    private static ReadinessProbe probe(ArchivingSetup setup, List<ReadinessProbe.RepositoryState> repos, List<ReadinessProbe.Exposure> exposures) {
        return new ReadinessProbe("main", 3, setup, SERVER, repos, exposures);
    }

    private static ReadinessFinding named(List<ReadinessFinding> findings, String name) {
        return findings.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aServerSetUpRightPassesEveryCheck() {
        List<ReadinessFinding> f = ArchiveReadiness.findings(probe(GOOD, List.of(registered("local", SERVER)), List.of()), "walferry");
        assertThat(f).extracting(ReadinessFinding::name).containsExactly("wal_level", "archive_mode", "archive_command",
                "max_wal_senders", "replication role", "repository local");
        assertThat(f).allMatch(ReadinessFinding::ok).noneMatch(ReadinessFinding::warning);
        assertThat(named(f, "repository local").detail()).isEqualTo("local (fs /repo): registered, system identifier 7350000000000000001");
    }

    @Test
    void eachMisconfigurationFailsWithItsFix() {
        ArchivingSetup bad = new ArchivingSetup("minimal", "off", "cp %p /somewhere/%f", 1, List.of());
        List<ReadinessFinding> f = ArchiveReadiness.findings(probe(bad, List.of(), List.of()), "/opt/walferry/walferry");
        assertThat(f).noneMatch(ReadinessFinding::ok);
        assertThat(named(f, "wal_level").hint()).isEqualTo("ALTER SYSTEM SET wal_level = replica; then restart PostgreSQL");
        assertThat(named(f, "archive_mode").detail()).isEqualTo("archive_mode = off");
        assertThat(named(f, "archive_command").hint())
                .isEqualTo("ALTER SYSTEM SET archive_command = '/opt/walferry/walferry archive-push %p'; then SELECT pg_reload_conf()");
        assertThat(named(f, "max_wal_senders").hint()).startsWith("set max_wal_senders to at least 3 ");
        assertThat(named(f, "replication role").detail()).isEqualTo("no login role has REPLICATION");
    }

    @Test
    void archiveModeAlwaysAndLogicalWalPass() {
        ArchivingSetup s = new ArchivingSetup("logical", "always", "walferry archive-push %p", 3, List.of("a", "b"));
        List<ReadinessFinding> f = ArchiveReadiness.findings(probe(s, List.of(), List.of()), "walferry");
        assertThat(f).allMatch(ReadinessFinding::ok);
        assertThat(named(f, "replication role").detail()).isEqualTo("roles with REPLICATION: a, b");
    }

    @Test
    void aRepositoryUnregisteredForeignOrUnreachableFails() {
        ClusterIdentity other = new ClusterIdentity(7350000000000000002L, PgVersion.fromVersionNum(150018), 16 << 20);
        List<ReadinessProbe.RepositoryState> repos = List.of(
                new ReadinessProbe.RepositoryState("empty", "empty (fs /e)", Optional.empty(), Optional.empty()),
                registered("foreign", other),
                new ReadinessProbe.RepositoryState("down", "down (s3 b)", Optional.empty(),
                        Optional.of(WalferryException.repository("cannot reach bucket b", "check the endpoint", null))));
        List<ReadinessFinding> f = ArchiveReadiness.findings(probe(GOOD, repos, List.of()), "walferry");
        assertThat(named(f, "repository empty")).satisfies(r -> {
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).isEqualTo("empty (fs /e): cluster main not registered");
            assertThat(r.hint()).isEqualTo("run walferry repo-create");
        });
        assertThat(named(f, "repository foreign").detail())
                .isEqualTo("foreign (fs /repo) holds system identifier 7350000000000000002, the server is 7350000000000000001");
        assertThat(named(f, "repository down")).satisfies(r -> {
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).isEqualTo("cannot reach bucket b");
            assertThat(r.hint()).isEqualTo("check the endpoint");
        });
    }

    @Test
    void directoriesOthersCanReadAreWarningsThatPass() {
        List<ReadinessProbe.Exposure> exposures = List.of(
                new ReadinessProbe.Exposure("repository local", Path.of("/repo"), Path.of("/repo/main"),
                        Optional.of("/repo/main is open to other users (rwxr-xr-x)"), Optional.empty()),
                new ReadinessProbe.Exposure("spool", Path.of("/spool"), Path.of("/spool/pg1"), Optional.empty(),
                        Optional.of("Permission denied")),
                new ReadinessProbe.Exposure("repository tight", Path.of("/t"), Path.of("/t/main"), Optional.empty(), Optional.empty()));
        List<ReadinessFinding> f = ArchiveReadiness.findings(probe(GOOD, List.of(), exposures), "walferry");
        assertThat(f).allMatch(ReadinessFinding::ok);
        assertThat(f).filteredOn(ReadinessFinding::warning).extracting(ReadinessFinding::name)
                .containsExactly("repository local permissions", "spool permissions");
        assertThat(named(f, "repository local permissions").hint()).isEqualTo("chmod 700 /repo (see docs/security.md)");
        assertThat(named(f, "spool permissions").detail()).isEqualTo("spool: cannot read the permissions of /spool/pg1: Permission denied");
    }

    @Test
    void withoutWalLogHintsOrChecksumsCheckWarnsThatPgRewindCannotRejoinIt() {
        ArchivingSetup noHints = new ArchivingSetup("replica", "on", "/usr/bin/walferry archive-push %p", 10, List.of("replicator"), false,
                false);
        ReadinessFinding f = ArchiveReadiness.findings(probe(noHints, List.of(), List.of()), "walferry").stream().filter(x -> x.name().equals("pg_rewind"))
                .findFirst().orElseThrow();
        org.assertj.core.api.Assertions.assertThat(f.warning()).isTrue();
        org.assertj.core.api.Assertions.assertThat(f.ok()).as("a warning: check still passes").isTrue();
        org.assertj.core.api.Assertions.assertThat(f.hint()).contains("wal_log_hints = on");
        ArchivingSetup checksums = new ArchivingSetup("replica", "on", "/usr/bin/walferry archive-push %p", 10, List.of("replicator"), false,
                true);
        org.assertj.core.api.Assertions.assertThat(ArchiveReadiness.findings(probe(checksums, List.of(), List.of()), "walferry"))
                .noneMatch(x -> x.name().equals("pg_rewind"));
    }
}
