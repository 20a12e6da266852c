package io.walferry.router;

import io.walferry.config.ConfigLoader;
import io.walferry.testing.Await;
import io.walferry.testing.HaCluster;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.ServerUser;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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

    private HaCluster ha;
    private Router router;

    /** One pgbench run: when it started and ended, and how it ended. */
    private record Run(Instant start, Instant end, WalferryFixture.Result result) {
    }

    @AfterEach
    void tearDown() {
        if (router != null) {
            router.close();
        }
        if (ha != null) {
            ha.close();
        }
    }

    private WalferryFixture.Result pgbench(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        return WalferryFixture.exec(cmd, ha.dir(), Duration.ofMinutes(3));
    }

    @Test
    void pgbenchThroughRwGoesOnOnTheNewPrimaryAfterTheOldOneIsLost() throws Exception {
        ha = HaCluster.create("wf-router-failover-", NODES, 1, HaCluster.FAST);
        PgCluster p1 = ha.pg("pg1");
        p1.execute("create table ticks (id bigserial primary key, at timestamptz not null default clock_timestamp(), "
                + "port int not null default inet_server_port())");
        ha.startAgents();

        int rw = HaCluster.freePort();
        Path routerConfig = ha.dir().resolve("router.yaml");
        Files.writeString(routerConfig, Files.readString(ha.wf().config()) + "router:\n  auth: trust\n  metrics_port: 0\n  failover_wait: 90s\n"
                + "  endpoints:\n    rw: { port: " + rw + ", pool_mode: transaction, pool_size: 4 }\n");
        router = Router.start(new ConfigLoader(Map.of()).load(routerConfig));
        Await.until(Duration.ofSeconds(90), "the router to route to the leader pg1", () -> router.stats().primary().equals(java.util.Optional.of("pg1")));
        Path script = ha.dir().resolve("tick.sql");
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
            ha.lose("pg1");
            // a run of its own, started at once: the leader key outlives the lost node by its ttl, so this run starts
            // while there is no primary to route to (the loop's runs may all straddle the failover on a slow machine)
            CompletableFuture<Run> during = CompletableFuture.supplyAsync(() -> {
                Instant start = Instant.now();
                WalferryFixture.Result r = pgbench(rw, "-n", "-c", "4", "-j", "4", "-T", "2", "-f", script.toString());
                return new Run(start, Instant.now(), r);
            });
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
            Run waited = during.get(3, TimeUnit.MINUTES);
            assertThat(waited.start()).as("the run started before the router followed pg2").isBefore(followed);
            assertThat(waited.result().exitCode()).as("a run started during the failover waits for the new primary: " + waited.result().all()).isZero();
            assertThat(waited.result().out()).contains("number of failed transactions: 0");
            PgCluster p2 = ha.pg("pg2");
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
