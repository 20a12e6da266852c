package io.walferry.ha;

import java.util.Optional;

/**
 * What one pass of the HA loop does, and why, in words for the log and for walferry status
 * ("no action: I am the leader with the lock").
 *
 * @param leader the member this one follows or hands over to, where the action has one
 */
public record Decision(Action action, String why, Optional<String> leader) {
    public enum Action {
        /** Nothing to do. */
        NONE,
        /** Renew the leader lease: the running primary holds the key. */
        RENEW,
        /** Take the free leader key as the running primary. */
        TAKE_KEY,
        /** Take the free leader key and promote this replica. */
        PROMOTE,
        /** Stop taking writes: stop PostgreSQL, fence it as a standby of the leader (if any), start it as one. */
        DEMOTE,
        /** Point this streaming replica at the leader. */
        FOLLOW,
        /** Rewind this node onto the leader's history (pg_rewind, or from the newest backup). */
        REJOIN,
        /** Start this leader's PostgreSQL (it stopped or crashed). */
        START_PRIMARY,
        /** Start this node's PostgreSQL as a standby of the leader. */
        START_REPLICA,
        /** Give the leader key up: this node's PostgreSQL cannot serve. */
        RELEASE,
        /** Hand the leader key over to the member a switchover asked for. */
        SWITCHOVER,
        /** Keep serving without etcd: every member agreed (failsafe mode); the watchdog's deadline moves on. */
        FAILSAFE
    }

    public static Decision of(Action action, String why) {
        return new Decision(action, why, Optional.empty());
    }

    public static Decision of(Action action, String why, String leader) {
        return new Decision(action, why, Optional.of(leader));
    }
}
