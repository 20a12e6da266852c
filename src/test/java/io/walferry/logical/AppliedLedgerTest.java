package io.walferry.logical;

import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AppliedLedgerTest {
    private static final Instant T = Instant.parse("2026-12-07T20:00:00Z");

    private static Lsn at(long v) {
        return new Lsn(v);
    }

    @Test
    void aLaterTransactionCommittedFirstDoesNotMoveThePositionPastAnEarlierOne() {
        AppliedLedger l = new AppliedLedger(at(100), Set.of());
        l.dispatched(at(110), 3, T);
        l.dispatched(at(120), 2, T.plusSeconds(1));
        l.dispatched(at(130), 1, T.plusSeconds(2));
        l.committed(List.of(at(120)));
        assertThat(l.movable()).as("110 has not committed").isEmpty();
        l.committed(List.of(at(110)));
        assertThat(l.movable()).contains(new AppliedLedger.Move(at(120), 2, 5, T.plusSeconds(1)));
        l.moved(l.movable().orElseThrow());
        assertThat(l.position()).isEqualTo(at(120));
        assertThat(l.settled()).isFalse();
        l.committed(List.of(at(130)));
        l.moved(l.movable().orElseThrow());
        assertThat(l.position()).isEqualTo(at(130));
        assertThat(l.settled()).isTrue();
    }

    @Test
    void aRestartSkipsExactlyWhatThePositionAndTheSetHold() {
        // before the kill: P = 100; 120 and 140 committed in lanes (in the set), 110 and 130 did not
        AppliedLedger l = new AppliedLedger(at(100), Set.of(at(120), at(140)));
        assertThat(l.applied(at(90))).isTrue();
        assertThat(l.applied(at(100))).isTrue();
        assertThat(l.applied(at(110))).isFalse();
        assertThat(l.applied(at(120))).isTrue();
        assertThat(l.applied(at(130))).isFalse();
        assertThat(l.applied(at(140))).isTrue();
        // the stream sends them again: 110 and 130 are applied, 120 and 140 skipped
        l.dispatched(at(110), 1, T);
        l.done(at(120), 0, T);
        l.dispatched(at(130), 1, T);
        l.done(at(140), 0, T);
        assertThat(l.movable()).isEmpty();
        l.committed(List.of(at(130)));
        l.committed(List.of(at(110)));
        AppliedLedger.Move m = l.movable().orElseThrow();
        assertThat(m.to()).isEqualTo(at(140));
        assertThat(m.transactions()).as("the skipped ones were counted before").isEqualTo(2);
        l.moved(m);
        assertThat(l.applied(at(140))).isTrue();
        assertThat(l.applied(at(150))).isFalse();
    }

    @Test
    void aTransactionHandedOutTwiceIsRefused() {
        AppliedLedger l = new AppliedLedger(at(100), Set.of());
        l.dispatched(at(110), 1, T);
        assertThatThrownBy(() -> l.dispatched(at(110), 1, T)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> l.dispatched(at(90), 1, T)).isInstanceOf(IllegalStateException.class);
    }
}
