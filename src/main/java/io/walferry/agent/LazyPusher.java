package io.walferry.agent;

import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.repository.format.EncodeGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * The agent's pusher, opened on first use and, until that succeeds, again on each use: a repository down when the
 * agent starts is waited for, not fatal.
 */
final class LazyPusher {
    private static final Logger LOG = LoggerFactory.getLogger(LazyPusher.class);

    private final WalferryConfig config;
    private final EncodeGate encodeGate;
    private volatile ArchivePusher pusher;

    LazyPusher(WalferryConfig config, EncodeGate encodeGate) {
        this.config = config;
        this.encodeGate = encodeGate;
    }

    ArchivePusher get() {
        ArchivePusher p = pusher;
        if (p == null) {
            synchronized (this) {
                if (pusher == null) {
                    pusher = new ArchivePusher(ArchiveSet.open(config), config.archive().compression(), encodeGate);
                }
                p = pusher;
            }
        }
        return p;
    }

    /** The pusher if it is open already. */
    Optional<ArchivePusher> ifOpen() {
        return Optional.ofNullable(pusher);
    }

    /**
     * Fails fast on what only the user can fix (an unregistered repository, a missing path); a repository
     * that is merely unreachable now is retried by the pushes.
     */
    void openOrFailFast() {
        try {
            get();
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG || e.kind() == Failure.NOT_REGISTERED) {
                throw e;
            }
            LOG.error("repositories not available yet, pushes will retry: {}", e.oneLine());
        }
    }
}
