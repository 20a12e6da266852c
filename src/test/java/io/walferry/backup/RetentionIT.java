package io.walferry.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.config.Compression;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.Repository;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention by age keeps the newest backup older than the window, so that a point at the window's start can
 * still be recovered; backups that never finished go once they are older than the grace period. The ages come
 * from the time Retention is given, as if it ran later, over backups taken now.
 */
@ExtendWith(PgLogOnFailure.class)
class RetentionIT {
    private Path dir;
    private PgCluster pg;
    private PgCluster restored;
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-retention-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{restored, pg}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private String backup() throws Exception {
        Result r = wf.run("backup", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return new ObjectMapper().readTree(r.out()).get("backup").asText();
    }

    /** The server's clock now, as PostgreSQL prints it (for --target-time) and as an instant. */
    private Map.Entry<String, Instant> now() throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "select t::text, to_char(t at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') from (select clock_timestamp() t) x")) {
            r.next();
            return Map.entry(r.getString(1), Instant.parse(r.getString(2)));
        }
    }

    @Test
    void theNewestBackupOlderThanTheWindowIsKeptAndUnfinishedOnesGoAfterTheGrace() throws Exception {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, "  workers: 2\n");
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "512MB");
        pg.start();
        assertThat(wf.run("repo-create").exitCode()).isZero();
        try (AgentProcess agent = wf.startAgent()) {
            pg.execute("create table t (g int, note text)");
            String first = backup();
            pg.execute("insert into t select g, 'before' from generate_series(1, 1000) g");
            String second = backup();
            pg.execute("insert into t select g, 'in the window' from generate_series(1001, 2000) g");
            Map.Entry<String, Instant> windowStart = now();
            pg.execute("insert into t select g, 'later' from generate_series(2001, 3000) g");
            String third = backup();

            WalferryConfig config = new ConfigLoader(Map.of()).load(wf.config());
            Repository repo = Repository.open(config.repositories().get(0), config.cluster(), false);
            long segmentSize = repo.requireClusterRecord().walSegmentSize();
            // a backup that started now and never finished: only files, no manifest
            DateTimeFormatter id = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
            Await.until(Duration.ofSeconds(5), "a second after the last backup's", () -> !id.format(Instant.now()).equals(third));
            String unfinished = id.format(Instant.now());
            repo.putNew(RepositoryLayout.backupObject(unfinished, RepositoryLayout.BACKUP_LABEL), new ByteArrayInputStream("label".getBytes()), Compression.NONE,
                    EncodeGate.NONE);

            // a day later, keeping a day: the window starts at windowStart
            Retention.Result r = new Retention(repo, segmentSize).apply(
                    new Retention.Policy(Optional.empty(), Optional.of(Duration.ofDays(1)), Duration.ofHours(48)),
                    windowStart.getValue().plus(Duration.ofDays(1)), false);
            assertThat(r.expired()).containsExactly(first);
            assertThat(r.retained()).containsExactly(second, third);
            assertThat(r.incompleteRemoved()).as("younger than the grace: may still be running").isEmpty();
            assertThat(Files.exists(wf.repo().resolve("test/backup").resolve(unfinished))).isTrue();

            // the window's first moment can be recovered, from the backup that anchors it
            long rowsThen = pg.queryLong("select count(*) from t where note <> 'later'");
            restored = PgCluster.existing(dir, "pitr");
            Result restore = wf.run("restore", "--target-dir", restored.dataDir().toString(), "--backup", second,
                    "--target-time", windowStart.getKey(), "--target-action", "promote");
            assertThat(restore.exitCode()).as(restore.all()).isZero();
            restored.usePort();
            restored.set("archive_mode", "off");
            restored.start();
            Await.until(Duration.ofSeconds(120), "the restored cluster to reach the target", () -> {
                try {
                    return restored.queryString("select pg_is_in_recovery()").equals("f");
                } catch (SQLException e) {
                    return false;
                }
            });
            assertThat(restored.queryLong("select count(*) from t")).isEqualTo(rowsThen);

            // two days after the unfinished backup started, it goes; the complete ones kept by count stay
            Retention.Result later = new Retention(repo, segmentSize).apply(
                    new Retention.Policy(Optional.of(2), Optional.empty(), Duration.ofHours(48)),
                    Instant.now().plus(Duration.ofHours(49)), false);
            assertThat(later.incompleteRemoved()).containsExactly(unfinished);
            assertThat(later.retained()).containsExactly(second, third);
            assertThat(Files.exists(wf.repo().resolve("test/backup").resolve(unfinished))).isFalse();
            assertThat(new BackupCatalog(repo).list().stream().map(BackupManifest::id).toList()).isEqualTo(List.of(second, third));
        }
    }
}
