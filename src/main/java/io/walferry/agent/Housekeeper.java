package io.walferry.agent;

import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.fastpath.RuntimeDirectory;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The agent's periodic care, which must never stop it: remove temporary objects that killed writers of this host
 * left in the repositories (at start, then hourly), put the runtime directory back if someone removed it, forget
 * the acks of files PostgreSQL has finished with, and catch lagging optional repositories up.
 */
final class Housekeeper {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);
    static final Duration CLEANUP_EVERY = Duration.ofHours(1);

    private final WalferryConfig config;
    private final RuntimeDirectory runtime;
    private final ArchiveStatus status;
    private final PushScheduler pushes;
    private final CatchUpService catchUp;
    private OptionalLong lastCleanupNanos = OptionalLong.empty();

    Housekeeper(WalferryConfig config, RuntimeDirectory runtime, ArchiveStatus status, PushScheduler pushes, CatchUpService catchUp) {
        this.config = config;
        this.runtime = runtime;
        this.status = status;
        this.pushes = pushes;
        this.catchUp = catchUp;
    }

    /** Whether the repositories' temporary objects are due for a clean-up: at start, then every {@link #CLEANUP_EVERY}. */
    static boolean cleanupDue(OptionalLong lastCleanupNanos, long nowNanos) {
        return lastCleanupNanos.isEmpty() || nowNanos - lastCleanupNanos.getAsLong() > CLEANUP_EVERY.toNanos();
    }

    /** The acks and failures to forget: of files no longer ready (PostgreSQL is done with them) and not being pushed. */
    static List<String> forgettable(List<String> ackedOrFailed, Predicate<String> ready, Predicate<String> pushing) {
        return ackedOrFailed.stream().filter(name -> !ready.test(name) && !pushing.test(name)).toList();
    }

    void run() {
        try {
            long now = System.nanoTime();
            if (cleanupDue(lastCleanupNanos, now)) {
                lastCleanupNanos = OptionalLong.of(now);
                for (RepositoryConfig rc : config.repositories()) {
                    int removed = Repository.open(rc, config.cluster(), false).removeAbandoned();
                    if (removed > 0) {
                        LOG.info("removed {} temporary objects a stopped writer left in repository {}", removed, rc.name());
                    }
                }
            }
        } catch (Throwable t) {
            LOG.warn("cleaning up temporary objects failed (will run again): {}", t.toString());
        }
        try {
            if (!runtime.intact()) {
                LOG.warn("runtime directory {} was removed; recreating it", runtime.path());
                runtime.prepare(ProcessHandle.current().pid(), config.archive().timeout().toSeconds());
            }
            for (String name : forgettable(runtime.ackedOrFailedNames(), status::isReady, pushes::pushing)) {
                runtime.forget(name);
                pushes.forget(name);
            }
            catchUp.catchUp();
        } catch (Throwable t) {
            LOG.error("housekeeping failed (will run again): {}", t.toString());
        }
    }
}
