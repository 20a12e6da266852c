package io.walferry.ha;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Renews the leader key (and moves the watchdog's deadline on) from a thread of its own while the loop's thread is busy
 * with one long step, a promotion: PostgreSQL's end of recovery can outlast the lease on a loaded machine, and a lease
 * that lapses mid-promotion has the watchdog stop the server that was about to become the primary. It renews for at
 * most {@code limit}, so that a step that hangs does not hold the key for ever.
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    /** What a renewal does once etcd accepted it: the loop's own bookkeeping, at the uptime taken before the request. */
    interface Renewed {
        void at(double uptime) throws IOException;
    }

    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread thread;

    private LeaseKeeper(ClusterStore store, String me, Duration every, Duration limit, Renewed renewed) {
        thread = Thread.ofPlatform().name("ha-lease-keeper").daemon().start(() -> {
            long end = System.nanoTime() + limit.toNanos();
            try {
                while (!done.await(every.toMillis(), TimeUnit.MILLISECONDS)) {
                    if (System.nanoTime() > end) {
                        LOG.warn("HA: a promotion has run {} s: the leader key is no longer renewed for it", limit.toSeconds());
                        return;
                    }
                    if (!renewOnce(store, me, renewed)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** False once the key is lost; a store that does not answer is tried again at the next interval. */
    private static boolean renewOnce(ClusterStore store, String me, Renewed renewed) {
        double t = Watchdog.uptime();
        try {
            if (!store.renewLeader(me)) {
                LOG.warn("HA: the leader key was lost during a promotion");
                return false;
            }
            renewed.at(t);
        } catch (StoreUnavailable | IOException e) {
            LOG.warn("HA: cannot renew the leader key during a promotion: {} (trying again)", e.getMessage());
        }
        return true;
    }

    /** Starts renewing every {@code every} until closed or {@code limit} has passed. */
    static LeaseKeeper during(ClusterStore store, String me, Duration every, Duration limit, Renewed renewed) {
        return new LeaseKeeper(store, me, every, limit, renewed);
    }

    /** Stops renewing and waits for the thread, so that the loop's thread sees what it last recorded. */
    @Override
    public void close() {
        done.countDown();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
