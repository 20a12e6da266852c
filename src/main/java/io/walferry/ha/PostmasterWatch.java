package io.walferry.ha;

import io.walferry.postgres.PostmasterPid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches this node's postmaster between the HA loop's passes: when the one that ran exits (a crash, kill -9), the
 * loop's next pass starts at once instead of up to loop_wait later. It only wakes the loop; what to do about it stays
 * HaRules' decision on what that pass reads.
 */
final class PostmasterWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostmasterWatch.class);
    /** How often the postmaster.pid process is checked: a file read and a /proc read. */
    static final long PERIOD_MILLIS = 500;

    private final Path dataDirectory;
    private final Runnable wake;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("postmaster-watch").daemon().factory());
    /** The postmaster last seen alive (0: none). */
    private long watched;

    private PostmasterWatch(Path dataDirectory, Runnable wake) {
        this.dataDirectory = dataDirectory;
        this.wake = wake;
    }

    static PostmasterWatch start(Path dataDirectory, Runnable wake) {
        PostmasterWatch w = new PostmasterWatch(dataDirectory, wake);
        w.timer.scheduleWithFixedDelay(w::check, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        return w;
    }

    private void check() {
        try {
            checkOnce();
        } catch (RuntimeException e) {
            LOG.debug("HA: cannot check the postmaster: {}", e.toString()); // a throw would end the checks
        }
    }

    private void checkOnce() {
        Optional<PostmasterPid> p = PostmasterPid.read(dataDirectory);
        // exited: gone, or a zombie not reaped yet (that can take seconds where the init process is slow to reap)
        if (p.isPresent() && p.get().alive() && !p.get().defunct()) {
            watched = p.get().pid();
        } else if (watched != 0) {
            LOG.info("HA: the postmaster (pid {}) exited: the next pass starts now", watched);
            watched = 0;
            wake.run();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
