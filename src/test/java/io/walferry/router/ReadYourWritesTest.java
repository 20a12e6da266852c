package io.walferry.router;

import io.walferry.config.RouterConfig;
import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Read-your-writes on the auto endpoint: which replica has a client's last commit, and where its next transaction goes. */
class ReadYourWritesTest {
    private static Optional<Lsn> lsn(String text) {
        return Optional.of(Lsn.parse(text));
    }

    @Test
    void aReplicaHasTheCommitOnceItReplayedToItsPosition() {
        assertThat(ReadYourWrites.caughtUp(Optional.empty(), Optional.empty())).as("nothing written").isTrue();
        assertThat(ReadYourWrites.caughtUp(Optional.empty(), lsn("0/3000100"))).as("replay unknown").isFalse();
        assertThat(ReadYourWrites.caughtUp(lsn("0/30000F8"), lsn("0/3000100"))).isFalse();
        assertThat(ReadYourWrites.caughtUp(lsn("0/3000100"), lsn("0/3000100"))).isTrue();
        assertThat(ReadYourWrites.caughtUp(lsn("1/0"), lsn("0/FFFFFF00"))).isTrue();
        // the insert position past the next page's header, after a record that ended at the page boundary
        assertThat(ReadYourWrites.caughtUp(lsn("0/3002000"), lsn("0/3002018"))).isTrue();
        assertThat(ReadYourWrites.caughtUp(lsn("0/4000000"), lsn("0/4000028"))).isTrue();
        assertThat(ReadYourWrites.caughtUp(lsn("0/3002000"), lsn("0/3002020"))).isFalse();
        assertThat(ReadYourWrites.caughtUp(lsn("0/3002008"), lsn("0/3002020"))).isFalse();
    }

    @Test
    void readsGoToThePrimaryWhileTheLastWritesPositionIsUnknown() {
        ReadYourWrites w = new ReadYourWrites();
        assertThat(w.unknown()).isFalse();
        long first = w.asking();
        assertThat(w.unknown()).isTrue();
        w.answered(first, lsn("0/3000100"));
        assertThat(w.unknown()).isFalse();
        assertThat(w.mustSee()).isEqualTo(lsn("0/3000100"));
        long lost = w.asking();
        w.answered(lost, Optional.empty());
        assertThat(w.unknown()).as("the last write's position was lost").isTrue();
        long later = w.asking();
        w.answered(later, lsn("0/3000200"));
        assertThat(w.unknown()).as("a later write's position covers the lost one").isFalse();
        long a = w.asking();
        long b = w.asking();
        w.answered(b, lsn("0/3000400"));
        w.answered(a, lsn("0/3000300"));
        assertThat(w.mustSee()).as("answers out of order keep the furthest").isEqualTo(lsn("0/3000400"));
    }

    @Test
    void autoDecisions() {
        var read = Optional.of(StatementRoute.read("a query that only reads"));
        var write = Optional.of(StatementRoute.primary("INSERT is not a query"));
        var set = Optional.of(StatementRoute.session("SET keeps state in the session"));

        AutoRoute.Decision d = AutoRoute.decide(read, false, false, lsn("0/3000100"));
        assertThat(d.route()).isEqualTo(RouterConfig.Role.RO);
        assertThat(d.mustSee()).isEqualTo(lsn("0/3000100"));
        assertThat(d.mayWrite()).isFalse();

        d = AutoRoute.decide(write, false, false, Optional.empty());
        assertThat(d).extracting(AutoRoute.Decision::route, AutoRoute.Decision::mayWrite, AutoRoute.Decision::sessionOnPrimary)
                .containsExactly(RouterConfig.Role.RW, true, false);

        d = AutoRoute.decide(read, false, true, lsn("0/3000100"));
        assertThat(d.route()).isEqualTo(RouterConfig.Role.RW);
        assertThat(d.why()).contains("not known yet");

        d = AutoRoute.decide(set, false, false, Optional.empty());
        assertThat(d).extracting(AutoRoute.Decision::route, AutoRoute.Decision::mayWrite, AutoRoute.Decision::sessionOnPrimary)
                .containsExactly(RouterConfig.Role.RW, false, true);
        d = AutoRoute.decide(read, true, false, Optional.empty());
        assertThat(d).extracting(AutoRoute.Decision::route, AutoRoute.Decision::sessionOnPrimary).containsExactly(RouterConfig.Role.RW, true);

        d = AutoRoute.decide(Optional.empty(), false, false, Optional.empty());
        assertThat(d).extracting(AutoRoute.Decision::route, AutoRoute.Decision::mayWrite).containsExactly(RouterConfig.Role.RW, false);
    }
}
