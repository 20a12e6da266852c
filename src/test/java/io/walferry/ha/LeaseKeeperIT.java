package io.walferry.ha;

import io.walferry.config.ConfigLoader;
import io.walferry.config.HaConfig;
import io.walferry.testing.Await;
import io.walferry.testing.EtcdServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader key outlives its lease while a promotion runs longer than the ttl (on a loaded machine PostgreSQL's end of
 * recovery can: the demo's new leader was fenced by its own watchdog so), and no longer than the keeper's limit. A real
 * etcd; the promotion is the wait of the test.
 */
class LeaseKeeperIT {
    @TempDir
    static Path dir;
    private static EtcdServer etcd;
    private static HaConfig ha;

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdServer.start(dir.resolve("etcd"), 1);
        Path yaml = dir.resolve("walferry.yaml");
        Files.writeString(yaml, """
                cluster: keeper
                nodes:
                  - name: pg1
                    data_directory: /d1
                  - name: pg2
                    data_directory: /d2
                repositories: [{type: fs, path: /r}]
                ha:
                  etcd:
                    endpoints: %s
                  ttl: 5s
                  loop_wait: 1s
                  retry_timeout: 2s
                """.formatted(etcd.endpoints()));
        ha = new ConfigLoader(Map.of()).load(yaml).ha().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void theKeyOutlivesItsLeaseWhileTheKeeperRunsAndExpiresOnceItStops() throws Exception {
        try (EtcdStore store = new EtcdStore(ha, "held")) {
            assertThat(store.acquireLeader("pg1", ha.ttl())).isTrue();
            AtomicInteger renewals = new AtomicInteger();
            long until = System.nanoTime() + ha.ttl().multipliedBy(2).toNanos();
            try (LeaseKeeper k = LeaseKeeper.during(store, "pg1", ha.loopWait(), Duration.ofMinutes(1), t -> renewals.incrementAndGet())) {
                // two leases long, the key must name pg1 at every look
                Await.until(Duration.ofSeconds(30), "two leases with the keeper running", () -> {
                    assertThat(store.read().leader()).isEqualTo(Optional.of("pg1"));
                    return System.nanoTime() > until;
                });
            }
            assertThat(renewals.get()).as("renewed at every interval").isGreaterThanOrEqualTo(5);
            Await.until(ha.ttl().multipliedBy(3), "the key to lapse once the keeper stopped", () -> store.read().leader().isEmpty());
        }
    }

    @Test
    void aKeeperRenewsNoLongerThanItsLimit() throws Exception {
        try (EtcdStore store = new EtcdStore(ha, "limited")) {
            assertThat(store.acquireLeader("pg1", ha.ttl())).isTrue();
            long start = System.nanoTime();
            try (LeaseKeeper k = LeaseKeeper.during(store, "pg1", ha.loopWait(), Duration.ofSeconds(2), t -> { })) {
                Await.until(ha.ttl().multipliedBy(4), "the key to lapse after the keeper's limit", () -> store.read().leader().isEmpty());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the key lapsed a lease after the limit, with the step still running")
                    .isGreaterThanOrEqualTo(ha.ttl());
        }
    }
}
