package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.postgres.Lsn;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one pass of the HA loop decides on, read once: this node's PostgreSQL, the store (empty when it did not
 * answer), and what this agent remembers between passes.
 *
 * @param me              this node
 * @param prefs           its part in failover
 * @param local           its PostgreSQL now
 * @param store           one read of the store, or empty when it did not answer within the retry timeout
 * @param sinceRenew      how long ago this agent last renewed the leader lease (or took the key); empty if it holds none
 * @param startFailures   how many passes in a row this leader failed to start its PostgreSQL
 * @param asked           the WAL other members hold, asked of their APIs just now (before a replica decides to take a free
 *                        key: their published positions may be a pass old)
 * @param timing          ttl, loop_wait, retry_timeout, maximum_lag_on_failover and the synchronous mode
 */
public record Sight(String me, HaConfig.Member prefs, Local local, Optional<StoreView> store, Optional<Duration> sinceRenew,
                    int startFailures, Map<String, Lsn> asked, Timing timing, Failsafe failsafe) {
    public Sight {
        asked = Map.copyOf(asked);
    }

    public Sight(String me, HaConfig.Member prefs, Local local, Optional<StoreView> store, Optional<Duration> sinceRenew, int startFailures,
                 Map<String, Lsn> asked, Timing timing) {
        this(me, prefs, local, store, sinceRenew, startFailures, asked, timing, Failsafe.NONE);
    }

    /**
     * Failsafe mode, with etcd unreachable: whether every other member answered this primary's failsafe call ("I cannot
     * see etcd either, and you were the leader"), and the leader this member promised not to replace, while the promise
     * holds.
     */
    public record Failsafe(boolean proven, Optional<String> promisedTo) {
        public static final Failsafe NONE = new Failsafe(false, Optional.empty());
    }

    /** The HA settings a decision needs. */
    public record Timing(Duration ttl, Duration loopWait, Duration retryTimeout, long maximumLagOnFailover,
                         HaConfig.Synchronous synchronous, int synchronousCount) {
        public Timing(Duration ttl, Duration loopWait, Duration retryTimeout, long maximumLagOnFailover) {
            this(ttl, loopWait, retryTimeout, maximumLagOnFailover, HaConfig.Synchronous.OFF, 1);
        }

        public static Timing of(HaConfig ha) {
            return new Timing(ha.ttl(), ha.loopWait(), ha.retryTimeout(), ha.maximumLagOnFailover(), ha.synchronous(),
                    ha.synchronousCount());
        }
    }

    /**
     * This node's PostgreSQL.
     *
     * @param followsLeader a replica whose primary_conninfo points at the leader (empty when there is no leader to follow)
     * @param diverged      why a replica cannot follow the leader's history, if it cannot
     */
    public record Local(Role role, int timeline, Optional<Lsn> lsn, boolean streaming, boolean archiveOnly, boolean followsLeader,
                        Optional<String> diverged) {
        public static Local down() {
            return new Local(Role.DOWN, 0, Optional.empty(), false, false, false, Optional.empty());
        }
    }

    public enum Role { PRIMARY, REPLICA, DOWN }

    public boolean holdsLeader() {
        return store.flatMap(StoreView::leader).map(me::equals).orElse(false);
    }
}
