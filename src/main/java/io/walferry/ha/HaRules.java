package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.postgres.Lsn;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The HA loop's decision, as a pure function of one {@link Sight}: what this member does this pass, and why. The rules
 * keep at most one writable primary: only the holder of the leader key may be one, a primary that cannot prove it
 * holds the key stops taking writes before the key's lease can expire, and a replica takes a free key only when it is
 * a candidate, close enough to the last known primary position, and the most advanced of the candidates.
 */
public final class HaRules {
    /** Passes in a row a leader tries to start its PostgreSQL before it gives the key up. */
    static final int START_ATTEMPTS = 3;

    private HaRules() {
    }

    public static Decision decide(Sight s) {
        if (s.store().isEmpty()) {
            return withoutStore(s);
        }
        StoreView v = s.store().get();
        if (v.leader().isPresent()) {
            return v.leader().get().equals(s.me()) ? asLeader(s, v) : asFollower(s, v.leader().get());
        }
        return withoutLeader(s, v);
    }

    /**
     * Whether a member agrees to {@code leader}'s failsafe call: it is a replica and cannot see etcd either (and last
     * saw that leader hold the key, or saw no one), or etcd has only just come back and still names that leader as the
     * key's holder: the leader's own connection may come back a pass later, and it must not demote for that. A member
     * that has seen etcd all along refuses, so a primary cut off from etcd alone is replaced without delay.
     */
    public static boolean agreesToFailsafe(String leader, Sight.Role role, boolean blind, boolean storeJustBack,
                                           Optional<String> knownLeader) {
        if (role != Sight.Role.REPLICA) {
            return false;
        }
        if (blind) {
            return knownLeader.map(leader::equals).orElse(true);
        }
        return storeJustBack && knownLeader.filter(leader::equals).isPresent();
    }

    /** The store did not answer: a primary keeps writing only while its lease surely holds; nobody is promoted. */
    private static Decision withoutStore(Sight s) {
        return switch (s.local().role()) {
            case PRIMARY -> {
                if (s.sinceRenew().isEmpty()) {
                    yield Decision.of(Decision.Action.DEMOTE, "etcd does not answer and this primary holds no leader lease: it must "
                            + "not take writes it cannot prove are the leader's");
                }
                if (s.failsafe().proven()) {
                    yield Decision.of(Decision.Action.FAILSAFE, "etcd does not answer, but every member answered this leader's "
                            + "failsafe call: it keeps serving (failsafe mode)");
                }
                Duration since = s.sinceRenew().get();
                // Before the next pass could renew it, the lease may be gone: stop now, while it surely holds.
                Duration atNextChance = since.plus(s.timing().loopWait()).plus(s.timing().retryTimeout());
                if (atNextChance.compareTo(s.timing().ttl()) >= 0) {
                    yield Decision.of(Decision.Action.DEMOTE, "etcd has not answered for " + seconds(since) + ": stopping writes before "
                            + "the leader lease (ttl " + seconds(s.timing().ttl()) + ") can expire");
                }
                yield Decision.of(Decision.Action.NONE, "etcd does not answer; the leader lease holds for "
                        + seconds(s.timing().ttl().minus(since)) + " more");
            }
            case REPLICA -> Decision.of(Decision.Action.NONE, "etcd does not answer: following as before, no failover decisions");
            case DOWN -> Decision.of(Decision.Action.NONE, "etcd does not answer and PostgreSQL is not running here: waiting");
        };
    }

    private static Decision asLeader(Sight s, StoreView v) {
        return switch (s.local().role()) {
            case PRIMARY -> {
                Optional<String> to = v.switchover().filter(t -> !t.equals(s.me()));
                if (to.isPresent()) {
                    MemberState m = v.members().get(to.get());
                    if (m == null || !MemberState.REPLICA.equals(m.role()) || !m.candidate()) {
                        yield Decision.of(Decision.Action.RENEW, "a switchover to " + to.get() + " was asked for, but it is not a "
                                + "running replica that may be promoted: I stay the leader");
                    }
                    yield Decision.of(Decision.Action.SWITCHOVER, "switchover to " + to.get() + " asked for: handing the leader key over",
                            to.get());
                }
                yield Decision.of(Decision.Action.RENEW, "no action: I am the leader with the lock");
            }
            case REPLICA -> Decision.of(Decision.Action.PROMOTE, "I hold the leader key and PostgreSQL is still in recovery: promoting it");
            case DOWN -> s.startFailures() >= START_ATTEMPTS
                    ? Decision.of(Decision.Action.RELEASE, "PostgreSQL did not start " + s.startFailures() + " times on the leader: giving "
                    + "the leader key up for a replica to take")
                    : Decision.of(Decision.Action.START_PRIMARY, "PostgreSQL is not running on the leader: starting it (crash recovery), holding the key meanwhile");
        };
    }

    private static Decision asFollower(Sight s, String leader) {
        Sight.Local l = s.local();
        return switch (l.role()) {
            case PRIMARY -> Decision.of(Decision.Action.DEMOTE, leader + " holds the leader key: demoting this primary", leader);
            case REPLICA -> {
                if (l.diverged().isPresent()) {
                    yield Decision.of(Decision.Action.REJOIN, "this replica has left the leader's history (" + l.diverged().get()
                            + "): rejoining " + leader, leader);
                }
                if (l.archiveOnly()) {
                    yield Decision.of(Decision.Action.NONE, "no action: following " + leader + " through the archive", leader);
                }
                if (!l.followsLeader()) {
                    yield Decision.of(Decision.Action.FOLLOW, "pointing this replica at the leader " + leader, leader);
                }
                yield Decision.of(Decision.Action.NONE, "no action: " + (l.streaming() ? "streaming from" : "following")
                        + " the leader " + leader, leader);
            }
            case DOWN -> Decision.of(Decision.Action.START_REPLICA, "PostgreSQL is not running: starting it as a standby of " + leader,
                    leader);
        };
    }

    private static Decision withoutLeader(Sight s, StoreView v) {
        if (v.handoff().isPresent()) {
            String to = v.handoff().get();
            if (!to.equals(s.me())) {
                return Decision.of(Decision.Action.NONE, "waiting for " + to + " to take the leader key handed over to it");
            }
            return s.local().role() == Sight.Role.REPLICA
                    ? Decision.of(Decision.Action.PROMOTE, "the leader handed the key over to me (switchover): promoting")
                    : Decision.of(Decision.Action.NONE, "the leader key was handed over to me, but PostgreSQL here is not a running replica");
        }
        return switch (s.local().role()) {
            case PRIMARY -> {
                Optional<MemberState> newer = v.members().values().stream()
                        .filter(m -> !m.node().equals(s.me()) && MemberState.PRIMARY.equals(m.role()) && m.timeline() > s.local().timeline())
                        .findFirst();
                if (newer.isPresent()) {
                    yield Decision.of(Decision.Action.DEMOTE, newer.get().node() + " runs as a primary on a later timeline ("
                            + newer.get().timeline() + "): demoting this one", newer.get().node());
                }
                yield Decision.of(Decision.Action.TAKE_KEY, "no leader key: taking it as the running primary");
            }
            case REPLICA -> candidate(s, v);
            case DOWN -> Decision.of(Decision.Action.NONE, "no leader key, and PostgreSQL is not running here");
        };
    }

    /** A replica and a free key: whether this one should take it. */
    private static Decision candidate(Sight s, StoreView v) {
        Sight.Local l = s.local();
        if (s.prefs().noFailover()) {
            return Decision.of(Decision.Action.NONE, "no leader key, and this node is not a failover candidate (nofailover)");
        }
        if (s.failsafe().promisedTo().isPresent()) {
            return Decision.of(Decision.Action.NONE, "no leader key, but this member promised " + s.failsafe().promisedTo().get()
                    + " in failsafe mode not to replace it: it takes the key back");
        }
        if (l.archiveOnly() && !s.prefs().promoteFromArchive()) {
            return Decision.of(Decision.Action.NONE, "no leader key; this archive-only replica is not promoted automatically "
                    + "(promote_from_archive)");
        }
        if (l.lsn().isEmpty()) {
            return Decision.of(Decision.Action.NONE, "no leader key, and this replica's WAL position is unknown");
        }
        Lsn mine = l.lsn().get();
        // A published role is as old as that member's last pass (a lost node's key outlives it by up to its lease):
        // only a primary whose API answered just now is waited for.
        Optional<MemberState> primary = v.members().values().stream()
                .filter(m -> !m.node().equals(s.me()) && MemberState.PRIMARY.equals(m.role()) && s.asked().containsKey(m.node()))
                .findFirst();
        if (primary.isPresent()) {
            return Decision.of(Decision.Action.NONE, "no leader key, but " + primary.get().node() + " runs as a primary and answers: "
                    + "it takes the key");
        }
        if (v.optime().isPresent()) {
            long behind = v.optime().get().value() - mine.value();
            if (behind > s.timing().maximumLagOnFailover()) {
                return Decision.of(Decision.Action.NONE, "no leader key, but this replica is " + behind + " bytes behind the last "
                        + "known primary position " + v.optime().get() + " (maximum_lag_on_failover " + s.timing().maximumLagOnFailover() + ")");
            }
        }
        // In synchronous mode only a standby a commit may have waited for holds every acknowledged one.
        Optional<List<String>> sync = s.timing().synchronous() == HaConfig.Synchronous.OFF ? Optional.empty() : v.sync()
                .filter(list -> !list.contains(SyncRules.ANY));
        if (sync.isPresent() && sync.get().isEmpty()) {
            return Decision.of(Decision.Action.NONE, "no leader key, but commits went on without a synchronous standby "
                    + "(synchronous_strict: false): no replica is known to hold every acknowledged commit");
        }
        if (sync.isPresent() && !sync.get().contains(s.me())) {
            return Decision.of(Decision.Action.NONE, "no leader key, but this replica is not one of the synchronous standbys "
                    + sync.get() + ": it may lack acknowledged commits");
        }
        // With quorum a commit is on `count` of the set; with on, while the set changes, the new standbys may still lack
        // what the old ones confirmed. Either way the most advanced of enough answers holds every acknowledged commit.
        if (sync.isPresent()) {
            long seen = 1 + sync.get().stream().filter(n -> !n.equals(s.me()) && s.asked().containsKey(n)).count();
            long needed = sync.get().size() - s.timing().synchronousCount() + 1;
            if (seen < needed) {
                return Decision.of(Decision.Action.NONE, "no leader key, but only " + seen + " of the synchronous standbys " + sync.get()
                        + " answered (" + needed + " needed to know which holds the most)");
            }
        }
        Optional<Rival> ahead = v.members().values().stream()
                .filter(m -> !m.node().equals(s.me()) && MemberState.REPLICA.equals(m.role()) && m.candidate())
                .filter(m -> sync.map(list -> list.contains(m.node())).orElse(true))
                .map(m -> new Rival(m.node(), best(m, s.asked()), m.priority()))
                .filter(r -> r.lsn().isPresent())
                .filter(r -> beats(r, mine, s.prefs().failoverPriority(), s.me()))
                .max(Comparator.comparing((Rival r) -> r.lsn().get()).thenComparingInt(Rival::priority));
        if (ahead.isPresent()) {
            Rival r = ahead.get();
            return Decision.of(Decision.Action.NONE, "no leader key, but " + r.node() + (r.lsn().get().compareTo(mine) > 0
                    ? " holds more WAL (" + r.lsn().get() + " against " + mine + ")" : " is as far (" + mine + ") and comes first (priority, then name)")
                    + ": it takes the key");
        }
        return Decision.of(Decision.Action.PROMOTE, "leader key expired, I was the most advanced replica at " + mine);
    }

    private record Rival(String node, Optional<Lsn> lsn, int priority) {
    }

    /** A member's WAL: what its API said just now, else what it published. */
    private static Optional<Lsn> best(MemberState m, Map<String, Lsn> asked) {
        Optional<Lsn> published = Optional.ofNullable(m.lsn()).flatMap(HaRules::lsn);
        Optional<Lsn> live = Optional.ofNullable(asked.get(m.node()));
        if (live.isPresent() && (published.isEmpty() || live.get().compareTo(published.get()) > 0)) {
            return live;
        }
        return published;
    }

    /** A rival wins on WAL, then on priority, then on the lower name (so that exactly one of equals goes). */
    private static boolean beats(Rival r, Lsn mine, int myPriority, String me) {
        int c = r.lsn().get().compareTo(mine);
        if (c != 0) {
            return c > 0;
        }
        if (r.priority() != myPriority) {
            return r.priority() > myPriority;
        }
        return r.node().compareTo(me) < 0;
    }

    private static Optional<Lsn> lsn(String text) {
        try {
            return Optional.of(Lsn.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String seconds(Duration d) {
        return String.format("%.1fs", d.toMillis() / 1000.0);
    }
}
