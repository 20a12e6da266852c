package io.walferry.ha;

import io.walferry.postgres.PostmasterPid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;

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
    private final Thread thread;
    private volatile boolean running = true;

    private PostmasterWatch(Path dataDirectory, Runnable wake) {
        this.dataDirectory = dataDirectory;
        this.wake = wake;
        this.thread = Thread.ofPlatform().name("postmaster-watch").daemon().start(this::loop);
    }

    static PostmasterWatch start(Path dataDirectory, Runnable wake) {
        return new PostmasterWatch(dataDirectory, wake);
    }

    private void loop() {
        long watched = 0; // the postmaster last seen alive
        while (running) {
            Optional<PostmasterPid> p = PostmasterPid.read(dataDirectory);
            if (p.isPresent() && p.get().alive()) {
                watched = p.get().pid();
            } else if (watched != 0) {
                LOG.info("HA: the postmaster (pid {}) exited: the next pass starts now", watched);
                watched = 0;
                wake.run();
            }
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
