package io.walferry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Checks the harness itself against a real PostgreSQL 15: lifecycle, crash recovery, init options. */
@ExtendWith(PgLogOnFailure.class)
class PgClusterIT {

    private Path root;

    @BeforeEach
    void createRoot() {
        root = TempDirs.create("walferry-pgcluster-it-");
    }

    @AfterEach
    void deleteRoot() {
        TempDirs.deleteTree(root);
    }

    @Test
    void committedRowsSurviveACrash() throws Exception {
        try (PgCluster pg = PgCluster.init(root, "primary")) {
            assertThat(pg.isRunning()).isFalse();
            pg.start();
            assertThat(pg.isRunning()).isTrue();
            assertThat(pg.queryString("SHOW server_version_num")).startsWith("15");
            assertThat(pg.queryString("SHOW wal_level")).isEqualTo("replica");
            assertThat(pg.queryLong("SHOW port")).isEqualTo(pg.port());

            pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
            pg.execute("INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
            assertThat(pg.queryLong("SELECT count(*) FROM t")).isEqualTo(1000);
            assertThat(pg.queryString("SELECT v FROM t WHERE id = 42")).isEqualTo("row 42");

            pg.crash();
            assertThat(pg.isRunning()).isFalse();

            pg.start();
            assertThat(pg.isRunning()).isTrue();
            assertThat(pg.queryLong("SELECT count(*) FROM t")).isEqualTo(1000);
            assertThat(pg.queryString("SELECT v FROM t WHERE id = 1000")).isEqualTo("row 1000");
            assertThat(pg.logTail(PgLogOnFailure.TAIL_LINES))
                    .contains("database system was interrupted");

            pg.restart();
            assertThat(pg.queryLong("SELECT count(*) FROM t")).isEqualTo(1000);

            pg.stop();
            assertThat(pg.isRunning()).isFalse();
        }
        assertThat(root.resolve("primary")).doesNotExist();
    }

    @Test
    void initHonoursWalSegmentSizeAndSettings() throws Exception {
        try (PgCluster pg = PgCluster.init(root, "bigwal", 64)) {
            pg.set("cluster_name", "it's walferry");
            pg.start();
            assertThat(pg.queryString("SHOW wal_segment_size")).isEqualTo("64MB");
            assertThat(pg.queryString("SHOW cluster_name")).isEqualTo("it's walferry");
            assertThat(pg.queryString("SELECT 1 WHERE false")).isNull();
            assertThat(Files.readString(pg.dataDir().resolve("pg_hba.conf")))
                    .contains("127.0.0.1/32").doesNotContain("local ");
        }
    }

    @Test
    void twoClustersRunSideBySide() throws Exception {
        try (PgCluster a = PgCluster.init(root, "a"); PgCluster b = PgCluster.init(root, "b")) {
            assertThat(a.port()).isNotEqualTo(b.port());
            a.start();
            b.start();
            a.execute("CREATE TABLE only_in_a (x int)");
            assertThat(b.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'")).isZero();
        }
    }
}
