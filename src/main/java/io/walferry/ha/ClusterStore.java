package io.walferry.ha;

import io.walferry.postgres.Lsn;

import java.time.Duration;
import java.util.Optional;

/**
 * The distributed store the members coordinate through (etcd, {@link EtcdStore}). The leader key lives under a lease
 * that only its holder renews; every write a member makes is conditional where two members could race.
 */
public interface ClusterStore extends AutoCloseable {
    StoreView read() throws StoreUnavailable;

    /**
     * Takes the leader key for {@code me}, under a new lease of {@code ttl}, unless someone holds it (and, with a handoff
     * key present, unless it names me); true if this member holds it now.
     */
    boolean acquireLeader(String me, Duration ttl) throws StoreUnavailable;

    /** Renews this member's leader lease; false when it no longer holds the key (expired, or never had it). */
    boolean renewLeader(String me) throws StoreUnavailable;

    /** Gives the key up, if this member holds it, naming who may take it next (a switchover) or nobody. */
    void releaseLeader(String me, Optional<String> handoffTo) throws StoreUnavailable;

    /** Publishes this member's state under a lease of {@code ttl}, and the leader's position when it is the leader. */
    void publish(MemberState state, Duration ttl, Optional<Lsn> optime) throws StoreUnavailable;

    /** Asks the leader to hand over to {@code to}, at once or once {@code at} has come. */
    void requestSwitchover(String to, java.util.Optional<java.time.Instant> at) throws StoreUnavailable;

    void clearSwitchover() throws StoreUnavailable;

    /** Records the synchronous standbys, if this member holds the leader key; false if it does not. */
    boolean writeSync(String me, java.util.List<String> standbys) throws StoreUnavailable;

    /**
     * Calls {@code onChange} whenever the leader key, the handoff or a switchover request changes (not on lease renewals),
     * so that the loop reacts at once instead of at its next pass.
     */
    default void watch(Runnable onChange) {
    }

    @Override
    void close();
}
