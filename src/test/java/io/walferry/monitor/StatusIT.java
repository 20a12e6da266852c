package io.walferry.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** walferry status flags two primaries that both take writes, and stops once one of them is read-only. */
@ExtendWith(PgLogOnFailure.class)
class StatusIT {
    private Path dir;
    private PgCluster a;
    private PgCluster b;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-status-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{a, b}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    @Test
    void twoWritablePrimariesAreFlaggedUntilOneIsFenced() throws Exception {
        a = PgCluster.init(dir, "pg-a");
        b = PgCluster.init(dir, "pg-b");
        a.start();
        b.start();
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), a, null);
        wf.writeConfig(List.of(a, b), null);

        Result table = wf.inProcess("status");
        assertThat(table.exitCode()).as(table.all()).isEqualTo(1);
        assertThat(table.out()).contains("WARNING: 2 writable primaries (pg-a, pg-b)");
        JsonNode json = new ObjectMapper().readTree(wf.inProcess("status", "--output", "json").out());
        for (JsonNode n : json) {
            assertThat(n.get("writable").asBoolean()).as(n.toString()).isTrue();
            assertThat(n.get("warning").asText()).as(n.toString()).isEqualTo("2 writable primaries: pg-a, pg-b");
        }

        // fenced as walferry promote --force does it
        b.execute("alter system set default_transaction_read_only = on");
        b.execute("select pg_reload_conf()");
        Await.until(Duration.ofSeconds(30), "status to see pg-b read-only", () -> wf.inProcess("status").exitCode() == 0);
        Result fenced = wf.inProcess("status");
        assertThat(fenced.out()).doesNotContain("WARNING").contains("primary (read-only)");
        JsonNode after = new ObjectMapper().readTree(wf.inProcess("status", "--output", "json").out());
        assertThat(after.get(1).get("writable").asBoolean()).isFalse();
        assertThat(after.get(0).path("warning").isTextual()).isFalse();
        assertThat(after.get(1).path("warning").isTextual()).isFalse();
    }
}
