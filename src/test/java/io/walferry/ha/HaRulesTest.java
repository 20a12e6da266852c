package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The HA loop's decisions from plain values: one writable primary at most, and the right replica promoted. */
class HaRulesTest {
    private static final Sight.Timing TIMING = new Sight.Timing(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10),
            1 << 20);

    private static Sight.Local primary(int tli, String lsn) {
        return new Sight.Local(Sight.Role.PRIMARY, tli, Optional.of(Lsn.parse(lsn)), false, false, false, Optional.empty());
    }

    private static Sight.Local replica(String lsn, boolean follows) {
        return new Sight.Local(Sight.Role.REPLICA, 1, Optional.of(Lsn.parse(lsn)), follows, false, follows, Optional.empty());
    }

    private static MemberState member(String node, String role, String lsn, int priority) {
        return new MemberState(node, role, 1, lsn, true, false, true, priority, "http://127.0.0.1:8008", "", "");
    }

    private static StoreView store(String leader, MemberState... members) {
        Map<String, MemberState> m = new HashMap<>();
        for (MemberState s : members) {
            m.put(s.node(), s);
        }
        return new StoreView(Optional.ofNullable(leader), m, Optional.of(Lsn.parse("0/5000000")), Optional.empty(), Optional.empty());
    }

    private static Sight sight(String me, Sight.Local local, StoreView store) {
        return new Sight(me, HaConfig.Member.DEFAULT, local, Optional.ofNullable(store), Optional.empty(), 0, Map.of(), TIMING);
    }

    private static Decision decide(Sight s) {
        return HaRules.decide(s);
    }

    @Test
    void theLeadersPrimaryRenewsItsLease() {
        Decision d = decide(sight("pg1", primary(1, "0/5000000"), store("pg1")));
        assertThat(d.action()).isEqualTo(Decision.Action.RENEW);
        assertThat(d.why()).isEqualTo("no action: I am the leader with the lock");
    }

    @Test
    void aPrimaryWhoseKeyAnotherHoldsIsDemoted() {
        Decision d = decide(sight("pg1", primary(1, "0/5000000"), store("pg2")));
        assertThat(d.action()).isEqualTo(Decision.Action.DEMOTE);
        assertThat(d.leader()).contains("pg2");
    }

    @Test
    void withoutEtcdAPrimaryStopsWritingBeforeItsLeaseCanExpire() {
        Sight fresh = new Sight("pg1", HaConfig.Member.DEFAULT, primary(1, "0/5000000"), Optional.empty(), Optional.of(Duration.ofSeconds(5)),
                0, Map.of(), TIMING);
        assertThat(decide(fresh).action()).as("30s lease renewed 5s ago, next chance at 25s").isEqualTo(Decision.Action.NONE);
        Sight late = new Sight("pg1", HaConfig.Member.DEFAULT, primary(1, "0/5000000"), Optional.empty(), Optional.of(Duration.ofSeconds(10)),
                0, Map.of(), TIMING);
        Decision d = decide(late);
        assertThat(d.action()).as("renewed 10s ago: the next chance (30s) is too late").isEqualTo(Decision.Action.DEMOTE);
        assertThat(d.why()).contains("stopping writes before the leader lease (ttl 30.0s) can expire");
        Sight noLease = new Sight("pg1", HaConfig.Member.DEFAULT, primary(1, "0/5000000"), Optional.empty(), Optional.empty(), 0, Map.of(),
                TIMING);
        assertThat(decide(noLease).action()).isEqualTo(Decision.Action.DEMOTE);
    }

    @Test
    void withoutEtcdNobodyIsPromoted() {
        Decision d = decide(new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000000", true), Optional.empty(), Optional.empty(), 0,
                Map.of(), TIMING));
        assertThat(d.action()).isEqualTo(Decision.Action.NONE);
    }

    @Test
    void theMostAdvancedCandidateTakesAFreeKeyAndOnlyIt() {
        StoreView v = store(null, member("pg2", "replica", "0/5000000", 1), member("pg3", "replica", "0/5000100", 1));
        Decision pg2 = decide(sight("pg2", replica("0/5000000", false), v));
        assertThat(pg2.action()).isEqualTo(Decision.Action.NONE);
        assertThat(pg2.why()).contains("pg3 holds more WAL (0/5000100 against 0/5000000)");
        Decision pg3 = decide(sight("pg3", replica("0/5000100", false), v));
        assertThat(pg3.action()).isEqualTo(Decision.Action.PROMOTE);
        assertThat(pg3.why()).isEqualTo("leader key expired, I was the most advanced replica at 0/5000100");
    }

    @Test
    void whatAMembersApiSaysJustNowOutweighsWhatItPublishedAPassAgo() {
        StoreView v = store(null, member("pg3", "replica", "0/5000000", 1));
        Sight s = new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000080", false), Optional.of(v), Optional.empty(), 0,
                Map.of("pg3", Lsn.parse("0/5000100")), TIMING);
        assertThat(decide(s).action()).isEqualTo(Decision.Action.NONE);
    }

    @Test
    void aPrimaryWhoseApiAnswersIsWaitedForButALostOnesStaleKeyIsNot() {
        StoreView v = store(null, member("pg1", "primary", "0/5000000", 1));
        Sight lost = sight("pg2", replica("0/5000000", false), v);
        assertThat(decide(lost).action()).isEqualTo(Decision.Action.PROMOTE);
        Sight answers = new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000000", false), Optional.of(v), Optional.empty(), 0,
                Map.of("pg1", Lsn.parse("0/5000000")), TIMING);
        Decision d = decide(answers);
        assertThat(d.action()).isEqualTo(Decision.Action.NONE);
        assertThat(d.why()).isEqualTo("no leader key, but pg1 runs as a primary and answers: it takes the key");
    }

    @Test
    void equallyAdvancedCandidatesGoByPriorityThenName() {
        StoreView v = store(null, member("pg2", "replica", "0/5000000", 1), member("pg3", "replica", "0/5000000", 5));
        assertThat(decide(sight("pg2", replica("0/5000000", false), v)).action()).isEqualTo(Decision.Action.NONE);
        StoreView same = store(null, member("pg2", "replica", "0/5000000", 1), member("pg3", "replica", "0/5000000", 1));
        assertThat(decide(sight("pg2", replica("0/5000000", false), same)).action()).isEqualTo(Decision.Action.PROMOTE);
        assertThat(decide(sight("pg3", replica("0/5000000", false), same)).action()).isEqualTo(Decision.Action.NONE);
    }

    @Test
    void aReplicaTooFarBehindTheLastKnownPrimaryPositionIsNotPromoted() {
        Decision d = decide(sight("pg2", replica("0/3000000", false), store(null)));
        assertThat(d.action()).isEqualTo(Decision.Action.NONE);
        assertThat(d.why()).contains("bytes behind the last known primary position 0/5000000");
    }

    @Test
    void noFailoverAndArchiveOnlyReplicasWaitUnlessAllowed() {
        Sight nf = new Sight("pg2", new HaConfig.Member(1, true, false, 8008), replica("0/5000000", false), Optional.of(store(null)),
                Optional.empty(), 0, Map.of(), TIMING);
        assertThat(decide(nf).why()).contains("nofailover");
        Sight.Local archive = new Sight.Local(Sight.Role.REPLICA, 1, Optional.of(Lsn.parse("0/5000000")), false, true, false, Optional.empty());
        assertThat(decide(sight("pg2", archive, store(null))).action()).isEqualTo(Decision.Action.NONE);
        Sight allowed = new Sight("pg2", new HaConfig.Member(1, false, true, 8008), archive, Optional.of(store(null)), Optional.empty(), 0,
                Map.of(), TIMING);
        assertThat(decide(allowed).action()).isEqualTo(Decision.Action.PROMOTE);
    }

    @Test
    void aRunningPrimaryTakesAFreeKeyUnlessAnotherPrimaryIsOnALaterTimeline() {
        assertThat(decide(sight("pg1", primary(1, "0/5000000"), store(null))).action()).isEqualTo(Decision.Action.TAKE_KEY);
        MemberState newer = new MemberState("pg2", "primary", 2, "0/6000000", false, false, true, 1, "", "", "");
        assertThat(decide(sight("pg1", primary(1, "0/5000000"), store(null, newer))).action()).isEqualTo(Decision.Action.DEMOTE);
        Sight pg3 = new Sight("pg3", HaConfig.Member.DEFAULT, replica("0/5000000", false), Optional.of(store(null, newer)),
                Optional.empty(), 0, Map.of("pg2", Lsn.parse("0/6000000")), TIMING);
        assertThat(decide(pg3).action()).as("the primary, whose API answers, takes it").isEqualTo(Decision.Action.NONE);
    }

    @Test
    void followersFollowTheLeaderAndRejoinWhenTheyLeftItsHistory() {
        assertThat(decide(sight("pg2", replica("0/5000000", false), store("pg1"))).action()).isEqualTo(Decision.Action.FOLLOW);
        assertThat(decide(sight("pg2", replica("0/5000000", true), store("pg1"))).why()).isEqualTo("no action: streaming from the leader pg1");
        Sight.Local diverged = new Sight.Local(Sight.Role.REPLICA, 1, Optional.of(Lsn.parse("0/5000000")), false, false, true,
                Optional.of("follows timeline 1"));
        assertThat(decide(sight("pg2", diverged, store("pg1"))).action()).isEqualTo(Decision.Action.REJOIN);
        assertThat(decide(sight("pg2", Sight.Local.down(), store("pg1"))).action()).isEqualTo(Decision.Action.START_REPLICA);
    }

    @Test
    void aLeaderWhoseServerDiedStartsItThenGivesTheKeyUp() {
        assertThat(decide(sight("pg1", Sight.Local.down(), store("pg1"))).action()).isEqualTo(Decision.Action.START_PRIMARY);
        Sight failing = new Sight("pg1", HaConfig.Member.DEFAULT, Sight.Local.down(), Optional.of(store("pg1")), Optional.empty(),
                HaRules.START_ATTEMPTS, Map.of(), TIMING);
        assertThat(decide(failing).action()).isEqualTo(Decision.Action.RELEASE);
    }

    @Test
    void aSwitchoverHandsTheKeyToARunningCandidateOnly() {
        StoreView asked = new StoreView(Optional.of("pg1"), Map.of("pg2", member("pg2", "replica", "0/5000000", 1)), Optional.empty(),
                Optional.of("pg2"), Optional.empty());
        Decision d = decide(sight("pg1", primary(1, "0/5000000"), asked));
        assertThat(d.action()).isEqualTo(Decision.Action.SWITCHOVER);
        assertThat(d.leader()).contains("pg2");
        StoreView toDown = new StoreView(Optional.of("pg1"), Map.of("pg2", member("pg2", "down", null, 1)), Optional.empty(),
                Optional.of("pg2"), Optional.empty());
        assertThat(decide(sight("pg1", primary(1, "0/5000000"), toDown)).action()).isEqualTo(Decision.Action.RENEW);
        StoreView handed = new StoreView(Optional.empty(), Map.of(), Optional.empty(), Optional.empty(), Optional.of("pg2"));
        assertThat(decide(sight("pg2", replica("0/5000000", false), handed)).action()).isEqualTo(Decision.Action.PROMOTE);
        assertThat(decide(sight("pg3", replica("0/5000000", false), handed)).action()).isEqualTo(Decision.Action.NONE);
    }

    @Test
    void everyDecisionSaysWhy() {
        for (Sight s : List.of(sight("pg1", primary(1, "0/5000000"), store("pg1")), sight("pg2", Sight.Local.down(), store(null)))) {
            assertThat(decide(s).why()).isNotBlank();
        }
    }

    @Test
    void whileTheSynchronousSetChangesANewStandbyWaitsForTheOldOnesAnswer() {
        Sight.Timing sync = new Sight.Timing(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10), 1 << 20,
                HaConfig.Synchronous.ON, 1);
        // pg2 confirmed the older commits, pg3 the newer ones: only the more advanced of both holds all of them
        StoreView v = new StoreView(Optional.empty(), Map.of("pg2", member("pg2", "replica", "0/5000000", 1),
                "pg3", member("pg3", "replica", "0/4F80000", 1)), Optional.of(Lsn.parse("0/5000000")), Optional.empty(), Optional.empty(),
                Optional.of(List.of("pg2", "pg3")));
        Sight alone = new Sight("pg3", HaConfig.Member.DEFAULT, replica("0/4F80000", false), Optional.of(v), Optional.empty(), 0, Map.of(), sync);
        Decision d = decide(alone);
        assertThat(d.action()).isEqualTo(Decision.Action.NONE);
        assertThat(d.why()).contains("only 1 of the synchronous standbys [pg2, pg3] answered (2 needed");
        Sight heard = new Sight("pg3", HaConfig.Member.DEFAULT, replica("0/5000100", false), Optional.of(v), Optional.empty(), 0,
                Map.of("pg2", Lsn.parse("0/5000000")), sync);
        assertThat(decide(heard).action()).isEqualTo(Decision.Action.PROMOTE);
    }

    @Test
    void afterCommitsWentOnWithoutASynchronousStandbyNobodyIsPromoted() {
        Sight.Timing sync = new Sight.Timing(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10), 1 << 20,
                HaConfig.Synchronous.ON, 1);
        StoreView v = new StoreView(Optional.empty(), Map.of("pg3", member("pg3", "replica", "0/5000000", 1)),
                Optional.of(Lsn.parse("0/5000000")), Optional.empty(), Optional.empty(), Optional.of(List.of()));
        Decision d = decide(new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000000", false), Optional.of(v), Optional.empty(), 0,
                Map.of("pg3", Lsn.parse("0/5000000")), sync));
        assertThat(d.action()).isEqualTo(Decision.Action.NONE);
        assertThat(d.why()).contains("commits went on without a synchronous standby");
    }

    @Test
    void inSynchronousModeOnlyASynchronousStandbyMayTakeTheKey() {
        Sight.Timing sync = new Sight.Timing(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10), 1 << 20,
                HaConfig.Synchronous.ON, 1);
        StoreView v = new StoreView(Optional.empty(), Map.of("pg2", member("pg2", "replica", "0/5000000", 1),
                "pg3", member("pg3", "replica", "0/5000100", 1)), Optional.of(Lsn.parse("0/5000000")), Optional.empty(), Optional.empty(),
                Optional.of(List.of("pg2")));
        Sight pg3 = new Sight("pg3", HaConfig.Member.DEFAULT, replica("0/5000100", false), Optional.of(v), Optional.empty(), 0, Map.of(), sync);
        assertThat(decide(pg3).action()).as("further ahead, but no commit waited for it").isEqualTo(Decision.Action.NONE);
        assertThat(decide(pg3).why()).contains("not one of the synchronous standbys");
        Sight pg2 = new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000000", false), Optional.of(v), Optional.empty(), 0, Map.of(), sync);
        assertThat(decide(pg2).action()).isEqualTo(Decision.Action.PROMOTE);
        StoreView any = new StoreView(Optional.empty(), v.members(), v.optime(), Optional.empty(), Optional.empty(),
                Optional.of(List.of(SyncRules.ANY)));
        Sight anyPg3 = new Sight("pg3", HaConfig.Member.DEFAULT, replica("0/5000100", false), Optional.of(any), Optional.empty(), 0, Map.of(),
                sync);
        assertThat(decide(anyPg3).action()).as("any standby may have confirmed: the most advanced goes").isEqualTo(Decision.Action.PROMOTE);
    }

    @Test
    void inFailsafeModeTheLeaderKeepsServingWhenEveryMemberAgreesAndAPromisedReplicaWaits() {
        Sight agreed = new Sight("pg1", HaConfig.Member.DEFAULT, primary(1, "0/5000000"), Optional.empty(), Optional.of(Duration.ofSeconds(25)),
                0, Map.of(), TIMING, new Sight.Failsafe(true, Optional.empty()));
        Decision d = decide(agreed);
        assertThat(d.action()).as("the lease may be gone, but every member agreed").isEqualTo(Decision.Action.FAILSAFE);
        assertThat(d.why()).contains("failsafe mode");
        Sight notLeader = new Sight("pg1", HaConfig.Member.DEFAULT, primary(1, "0/5000000"), Optional.empty(), Optional.empty(), 0, Map.of(),
                TIMING, new Sight.Failsafe(true, Optional.empty()));
        assertThat(decide(notLeader).action()).as("only a leader may claim it").isEqualTo(Decision.Action.DEMOTE);
        Sight promised = new Sight("pg2", HaConfig.Member.DEFAULT, replica("0/5000000", false), Optional.of(store(null)), Optional.empty(), 0,
                Map.of(), TIMING, new Sight.Failsafe(false, Optional.of("pg1")));
        assertThat(decide(promised).action()).isEqualTo(Decision.Action.NONE);
        assertThat(decide(promised).why()).contains("promised pg1");
    }

    @Test
    void aReplicaAgreesToFailsafeWhenBlindOrWhenEtcdHasJustComeBackStillNamingThatLeader() {
        Optional<String> pg1 = Optional.of("pg1");
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, true, false, pg1)).isTrue();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, true, false, Optional.empty())).isTrue();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, true, false, Optional.of("pg2"))).as("another leader").isFalse();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.PRIMARY, true, false, pg1)).as("a primary never").isFalse();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, false, true, pg1))
                .as("etcd back here first, the key still pg1's: pg1 must not demote for a pass it could not reach etcd").isTrue();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, false, true, Optional.empty()))
                .as("etcd back and the key gone: the leader lost it").isFalse();
        assertThat(HaRules.agreesToFailsafe("pg1", Sight.Role.REPLICA, false, false, pg1))
                .as("etcd seen all along: a primary cut off from it alone is replaced").isFalse();
    }
}
