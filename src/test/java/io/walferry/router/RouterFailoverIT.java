package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.EtcdServer;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * pgbench writing through the router's rw endpoint while the HA primary's whole node is lost (agent, watchdog and server
 * killed): the router follows the leader key to the new primary; pgbench runs that start during the failover wait for it
 * and succeed, and every row written after the new leader exists is on the new primary. Two nodes and one etcd member:
 * the smallest HA cluster that fails over.
 */
@ExtendWith(PgLogOnFailure.class)
class RouterFailoverIT {
    private static final Path PGBENCH = Path.of(PgCluster.DEFAULT_BIN, "pgbench");
    private static final List<String> NODES = List.of("pg1", "pg2");

    private Path dir;
    private EtcdServer etcd;
    private final Map<String, PgCluster> pg = new LinkedHashMap<>();
    private final Map<String, AgentProcess> agents = new HashMap<>();
    private WalferryFixture wf;
    private Router router;

    /** One pgbench run: when it started and ended, and how it ended. */
    private record Run(Instant start, Instant end, WalferryFixture.Result result) {
    }

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-router-failover-");
    }

    @AfterEach
    void tearDown() {
        if (router != null) {
            router.close();
        }
        agents.values().forEach(AgentProcess::close);
        pg.values().forEach(PgCluster::close);
        if (etcd != null) {
            etcd.close();
        }
        ServerUser.exec(List.of("pkill", "-f", "walferry-watchdog.sh " + dir), null, Duration.ofSeconds(10));
        TempDirs.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void ok(String... args) {
        WalferryFixture.Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
    }

    private WalferryFixture.Result pgbench(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        return WalferryFixture.exec(cmd, dir, Duration.ofMinutes(3));
    }

    @Test
    void pgbenchThroughRwGoesOnOnTheNewPrimaryAfterTheOldOneIsLost() throws Exception {
        etcd = EtcdServer.start(dir.resolve("etcd"), 1);
        PgCluster p1 = PgCluster.init(dir, "pg1", 1);
        pg.put("pg1", p1);
        wf = new WalferryFixture(dir.resolve("wf"), p1, "  workers: 2\n");
        wf.enableArchiving(p1);
        p1.set("wal_keep_size", "256MB");
        p1.set("wal_log_hints", "on");
        p1.start();
        pg.put("pg2", PgCluster.existing(dir, "pg2"));
        Map<String, String> perNode = new HashMap<>();
        for (String n : NODES) {
            perNode.put(n, "    api_port: " + freePort() + "\n");
        }
        wf.writeConfig(new ArrayList<>(pg.values()), "  workers: 2\n");
        wf.ha("""
                  etcd:
                    endpoints: %s
                  ttl: 10s
                  loop_wait: 1s
                  retry_timeout: 2s
                  maximum_lag_on_failover: 64MB
                """.formatted(etcd.endpoints()), perNode);
        ok("repo-create", "--node", "pg1");
        p1.execute("create table ticks (id bigserial primary key, at timestamptz not null default clock_timestamp(), "
                + "port int not null default inet_server_port())");
        ok("backup", "--node", "pg1");
        ok("replica", "create", "--node", "pg2");
        for (String n : NODES) {
            agents.put(n, wf.startAgent(n));
        }

        int rw = freePort();
        Path routerConfig = dir.resolve("router.yaml");
        Files.writeString(routerConfig, Files.readString(wf.config()) + "router:\n  auth: trust\n  metrics_port: 0\n  failover_wait: 90s\n"
                + "  endpoints:\n    rw: { port: " + rw + ", pool_mode: transaction, pool_size: 4 }\n");
        router = Router.start(new ConfigLoader(Map.of()).load(routerConfig));
        Await.until(Duration.ofSeconds(90), "the router to route to the leader pg1", () -> router.stats().primary().equals(java.util.Optional.of("pg1")));
        Path script = dir.resolve("tick.sql");
        Files.writeString(script, "insert into ticks default values;\n");
        ServerUser.chown(script);

        // pgbench in short runs, one after another, all through rw
        List<Run> runs = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = Thread.ofPlatform().name("pgbench-loop").start(() -> {
            while (!stop.get()) {
                Instant start = Instant.now();
                WalferryFixture.Result r = pgbench(rw, "-n", "-c", "4", "-j", "4", "-T", "2", "-f", script.toString());
                runs.add(new Run(start, Instant.now(), r));
            }
        });
        try {
            Await.until(Duration.ofSeconds(60), "two pgbench runs before the failover", () -> runs.size() >= 2);

            // the whole primary node is lost
            Instant lost = Instant.now();
            agents.get("pg1").kill9();
            ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/pg1")), null,
                    Duration.ofSeconds(10));
            pg.get("pg1").crash();
            Await.until(Duration.ofSeconds(120), "the router to follow the new leader pg2",
                    () -> router.stats().primary().equals(java.util.Optional.of("pg2")));
            Instant followed = Instant.now();
            Await.until(Duration.ofSeconds(120), "two pgbench runs that started after the router followed pg2",
                    () -> runs.stream().filter(r -> r.start().isAfter(followed)).count() >= 2);
            stop.set(true);
            load.join(Duration.ofMinutes(3));

            for (Run r : runs) {
                if (r.end().isBefore(lost)) {
                    assertThat(r.result().exitCode()).as("before the loss: " + r.result().all()).isZero();
                } else if (r.start().isAfter(lost)) {
                    // started while there was no primary (its clients waited for one) or after: nothing failed
                    assertThat(r.result().exitCode()).as("started " + r.start() + " after the loss at " + lost + ": " + r.result().all()).isZero();
                    assertThat(r.result().out()).contains("number of failed transactions: 0");
                }
            }
            assertThat(runs.stream().filter(r -> r.start().isAfter(lost) && r.start().isBefore(followed)))
                    .as("a run started during the failover and waited for the new primary (its exit code checked above)").isNotEmpty();
            PgCluster p2 = pg.get("pg2");
            assertThat(p2.queryString("select pg_is_in_recovery()")).isEqualTo("f");
            assertThat(p2.queryLong("select count(*) from ticks where port = " + p2.port())).as("writes on the new primary").isPositive();
            assertThat(p2.queryLong("select count(*) from ticks where port <> " + p2.port() + " and at > '" + followed + "'"))
                    .as("no write ran anywhere else after the router followed the new primary").isZero();
            assertThat(router.stats().routes()).anySatisfy(r -> {
                assertThat(r.node()).isEqualTo("pg2");
                assertThat(r.transactions()).isPositive();
            });
        } finally {
            stop.set(true);
            load.join(Duration.ofMinutes(3));
        }
    }
}
