package io.walferry.ha;

import io.walferry.config.HaConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Synchronous standbys: chosen by priority, kept while too few are healthy, and changed in an order that loses nothing. */
class SyncRulesTest {
    private static MemberState m(String node, int priority) {
        return new MemberState(node, "replica", 1, "0/5000000", true, false, true, priority, "", "", "");
    }

    @Test
    void onWaitsForTheFirstCountByPriorityQuorumForEveryHealthyOne() {
        List<MemberState> healthy = List.of(m("pg3", 1), m("pg2", 1), m("pg4", 5));
        assertThat(SyncRules.desired(HaConfig.Synchronous.ON, 1, true, healthy, List.of())).containsExactly("pg4");
        assertThat(SyncRules.desired(HaConfig.Synchronous.ON, 2, true, healthy, List.of())).containsExactly("pg4", "pg2");
        assertThat(SyncRules.desired(HaConfig.Synchronous.QUORUM, 1, true, healthy, List.of())).containsExactly("pg4", "pg2", "pg3");
    }

    @Test
    void aStandbyThatIsGoneStaysWhileTooFewAreHealthy() {
        assertThat(SyncRules.desired(HaConfig.Synchronous.ON, 1, true, List.of(), List.of("pg2"))).containsExactly("pg2");
        assertThat(SyncRules.desired(HaConfig.Synchronous.ON, 1, true, List.of(m("pg3", 1)), List.of("pg2"))).containsExactly("pg3");
    }

    @Test
    void addingWritesTheStoreFirstRemovingChangesPostgresFirst() {
        // from pg2 to pg3: the store names both, then PostgreSQL waits for pg3, then the store names pg3
        SyncRules.Step one = SyncRules.step(Optional.of(List.of("pg2")), List.of("pg2"), List.of("pg3"), true, true);
        assertThat(one.kind()).isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
        assertThat(one.standbys()).containsExactly("pg2", "pg3");
        SyncRules.Step two = SyncRules.step(Optional.of(one.standbys()), List.of("pg2"), List.of("pg3"), true, true);
        assertThat(two.kind()).isEqualTo(SyncRules.Step.Kind.SET_POSTGRES);
        assertThat(two.standbys()).containsExactly("pg3");
        SyncRules.Step three = SyncRules.step(Optional.of(one.standbys()), List.of("pg3"), List.of("pg3"), true, true);
        assertThat(three.kind()).isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
        assertThat(three.standbys()).containsExactly("pg3");
        assertThat(SyncRules.step(Optional.of(List.of("pg3")), List.of("pg3"), List.of("pg3"), true, true).kind()).isEqualTo(SyncRules.Step.Kind.NONE);
    }

    @Test
    void theStoreForgetsTheOldStandbyOnlyOnceTheNewOneHasCaughtUp() {
        // pg2 confirmed commits up to now; PostgreSQL waits for pg3 from now on, which may still lack them
        SyncRules.Step waiting = SyncRules.step(Optional.of(List.of("pg2", "pg3")), List.of("pg3"), List.of("pg3"), false, true);
        assertThat(waiting.kind()).isEqualTo(SyncRules.Step.Kind.AWAIT_CATCH_UP);
        SyncRules.Step done = SyncRules.step(Optional.of(List.of("pg2", "pg3")), List.of("pg3"), List.of("pg3"), true, true);
        assertThat(done.kind()).isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
        assertThat(done.standbys()).containsExactly("pg3");
        assertThat(SyncRules.step(Optional.of(List.of("pg2")), List.of("pg2"), List.of("pg3"), false, true).kind())
                .as("adding to the store needs no catch-up").isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
    }

    @Test
    void notStrictCommitsGoOnWithoutAStandbyAndNobodyIsPromotedUntilOneHasCaughtUp() {
        assertThat(SyncRules.desired(HaConfig.Synchronous.ON, 1, false, List.of(), List.of("pg2"))).isEmpty();
        SyncRules.Step first = SyncRules.step(Optional.of(List.of("pg2")), List.of("pg2"), List.of(), true, false);
        assertThat(first.kind()).as("the store first says none holds everything").isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
        assertThat(first.standbys()).isEmpty();
        SyncRules.Step then = SyncRules.step(Optional.of(List.of()), List.of("pg2"), List.of(), true, false);
        assertThat(then.kind()).isEqualTo(SyncRules.Step.Kind.SET_POSTGRES);
        assertThat(SyncRules.standbyNames(HaConfig.Synchronous.ON, 1, false, then.standbys())).isEmpty();
        // pg3 is back: PostgreSQL waits for it first, the store names it only once it has caught up
        SyncRules.Step wait = SyncRules.step(Optional.of(List.of()), List.of(), List.of("pg3"), false, false);
        assertThat(wait.kind()).isEqualTo(SyncRules.Step.Kind.SET_POSTGRES);
        assertThat(SyncRules.step(Optional.of(List.of()), List.of("pg3"), List.of("pg3"), false, false).kind())
                .isEqualTo(SyncRules.Step.Kind.AWAIT_CATCH_UP);
        assertThat(SyncRules.step(Optional.of(List.of()), List.of("pg3"), List.of("pg3"), true, false).kind())
                .isEqualTo(SyncRules.Step.Kind.WRITE_STORE);
        assertThat(SyncRules.step(Optional.empty(), List.of(), List.of("pg3"), true, false).standbys())
                .as("a new leader's store names nobody before it has chosen").isEmpty();
        assertThat(SyncRules.standbyNames(HaConfig.Synchronous.ON, 2, false, List.of("pg3"))).isEqualTo("FIRST 1 (\"pg3\")");
    }

    @Test
    void namesAreQuotedAndAnyIsNot() {
        assertThat(SyncRules.standbyNames(HaConfig.Synchronous.ON, 1, true, List.of("pg2", "pg3"))).isEqualTo("FIRST 1 (\"pg2\", \"pg3\")");
        assertThat(SyncRules.standbyNames(HaConfig.Synchronous.QUORUM, 2, true, List.of(SyncRules.ANY))).isEqualTo("ANY 2 (*)");
        assertThat(SyncRules.parse("FIRST 1 (\"pg2\", \"pg3\")")).containsExactly("pg2", "pg3");
        assertThat(SyncRules.parse("ANY 2 (*)")).containsExactly("*");
        assertThat(SyncRules.parse("")).isEmpty();
    }
}
