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

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * walferry status flags two primaries that both take writes, and stops once one of them is read-only; it shows an
 * archive-only replica that followed another branch's timeline as diverged, on the timeline it replays; a node whose
 * password is wrong or whose host name does not resolve says so.
 */
@ExtendWith(PgLogOnFailure.class)
class StatusIT {
    private Path dir;
    private PgCluster a;
    private PgCluster b;
    private PgCluster c;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-status-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster x : new PgCluster[]{a, b, c}) {
            if (x != null) {
                x.close();
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

    @Test
    void anArchiveReplicaThatFollowedAnotherBranchIsShownDivergedOnTheTimelineItReplays() throws Exception {
        a = PgCluster.init(dir, "us-east-1", 1);
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), a, "  workers: 2\n");
        wf.enableArchiving(a);
        a.start();
        b = PgCluster.existing(dir, "eu-central-1");
        c = PgCluster.existing(dir, "ap-south-1");
        wf.writeConfig(List.of(a, b, c), "  workers: 2\n");
        assertThat(wf.run("repo-create", "--node", "us-east-1").exitCode()).isZero();
        a.execute("create table t (id int primary key, note text)");
        a.execute("insert into t select g, 'production' from generate_series(1, 1000) g");
        assertThat(wf.run("backup", "--node", "us-east-1").exitCode()).isZero();
        for (String node : List.of("eu-central-1", "ap-south-1")) {
            Result r = wf.run("replica", "create", "--node", node, "--mode", "archive");
            assertThat(r.exitCode()).as(r.all()).isZero();
        }

        // a replica promoted by hand, outside walferry: it archives a timeline of its own
        c.execute("select pg_promote()");
        Await.until(Duration.ofSeconds(60), "ap-south-1 to be promoted", () -> "f".equals(c.queryString("select pg_is_in_recovery()")));
        c.execute("insert into t values (-1, 'only on the rogue branch')");
        String tl2 = c.switchWal();
        assertThat(tl2).startsWith("00000002");
        c.awaitArchived(tl2, Duration.ofSeconds(60));
        Await.until(Duration.ofSeconds(120), "eu-central-1 to follow the rogue timeline",
                () -> b.queryLong("select count(*) from t where id = -1") == 1);
        c.stop();
        wf.writeConfig(List.of(a, b), "  workers: 2\n");
        a.execute("insert into t select g, 'production' from generate_series(1001, 2000) g");

        Result table = wf.inProcess("status");
        assertThat(table.exitCode()).as(table.all()).isEqualTo(1);
        assertThat(table.out()).contains("replica (DIVERGED)")
                .contains("DIVERGED: replica eu-central-1 follows timeline 2, which the primary (timeline 1) does not have");
        JsonNode json = new ObjectMapper().readTree(wf.inProcess("status", "--output", "json").out());
        assertThat(json.get(0).get("timeline").asInt()).isEqualTo(1);
        assertThat(json.get(1).get("timeline").asInt()).as("the timeline it replays now").isEqualTo(2);
        assertThat(json.get(1).get("diverged").asText()).contains("follows timeline 2");
        assertThat(json.get(1).get("lagBytes").isNull()).as("no lag for a replica that can never catch up").isTrue();
    }

    @Test
    void aWrongPasswordIsAuthenticationFailedAndAnUnknownHostDidNotResolve() throws Exception {
        a = PgCluster.init(dir, "pg-a");
        a.start();
        a.execute("create role walferry_pw login password 'right'");
        // password authentication for that role only: the harness itself keeps trust
        Path hba = a.dataDir().resolve("pg_hba.conf");
        Files.writeString(hba, "host all walferry_pw 127.0.0.1/32 scram-sha-256\n" + Files.readString(hba));
        a.execute("select pg_reload_conf()");
        WalferryFixture wf = new WalferryFixture(dir.resolve("wf"), a, null);
        Path config = wf.config();
        // the CA a node off loopback is verified with: never read here, as the name does not resolve
        Files.writeString(config, """
                cluster: test
                nodes:
                  - name: pg-a
                    host: 127.0.0.1
                    port: %d
                    data_directory: %s
                  - name: nowhere
                    host: no-such-host.invalid
                    data_directory: /srv/nowhere
                repositories:
                  - name: local
                    type: fs
                    path: %s
                connection:
                  user: walferry_pw
                  password: wrong
                  sslrootcert: %s
                """.formatted(a.port(), a.dataDir(), wf.repo(), wf.dir().resolve("ca.crt")));
        // a password inline: the file must be this user's (in-process, the test's: root) and open to no one else
        Files.setOwner(config, config.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));

        Result table = wf.inProcess("status");
        assertThat(table.exitCode()).as(table.all()).isEqualTo(1);
        String pgA = table.out().lines().filter(l -> l.startsWith("pg-a")).findFirst().orElseThrow();
        assertThat(pgA).contains("authentication failed for role walferry_pw").doesNotContain("DOWN").doesNotContain("wrong");
        String nowhere = table.out().lines().filter(l -> l.startsWith("nowhere")).findFirst().orElseThrow();
        assertThat(nowhere).contains("DOWN").contains("host name no-such-host.invalid did not resolve");

        JsonNode json = new ObjectMapper().readTree(wf.inProcess("status", "--output", "json").out());
        assertThat(json.get(0).get("state").asText()).isEqualTo("authentication failed");
        assertThat(json.get(0).get("error").asText()).contains("authentication failed for role walferry_pw");
        assertThat(json.get(1).get("state").asText()).isEqualTo("down");

        // the same reasons from a command that needs the node: one line, exit 4
        Result check = wf.inProcess("repo-create", "--node", "pg-a");
        assertThat(check.exitCode()).as(check.all()).isEqualTo(4);
        assertThat(check.err()).contains("authentication failed for role walferry_pw").hasLineCount(1);
        Result unresolved = wf.inProcess("repo-create", "--node", "nowhere");
        assertThat(unresolved.exitCode()).as(unresolved.all()).isEqualTo(4);
        assertThat(unresolved.err()).contains("host name no-such-host.invalid did not resolve").hasLineCount(1);
    }
}
