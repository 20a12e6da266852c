package io.walferry.monitor;

import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class WalClockTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aReplicaThatHoldsTheNewestPositionIsNotBehindHoweverLongThePrimaryIsIdle() {
        WalClock clock = new WalClock(Duration.ofMinutes(10));
        clock.saw(new Lsn(1000), 0);
        for (int t = 1; t <= 3600; t++) {
            clock.saw(new Lsn(1000), t * S);
        }
        WalClock.Lag lag = clock.lag(new Lsn(1000), 3600 * S).orElseThrow();
        assertThat(lag.seconds()).isZero();
        assertThat(lag.bytes()).isZero();
        assertThat(lag.atLeast()).isFalse();
    }

    @Test
    void aPausedReplicaFallsBehindFromWhenThePrimaryFirstWrotePastIt() {
        WalClock clock = new WalClock(Duration.ofMinutes(10));
        clock.saw(new Lsn(1000), 0);
        clock.saw(new Lsn(1000), 100 * S);
        clock.saw(new Lsn(5000), 101 * S);
        clock.saw(new Lsn(9000), 102 * S);
        WalClock.Lag lag = clock.lag(new Lsn(1000), 130 * S).orElseThrow();
        assertThat(lag.seconds()).isEqualTo(29.0);
        assertThat(lag.bytes()).isEqualTo(8000);
        assertThat(lag.atLeast()).isFalse();
        // replayed part of it: behind since the next sample past its position
        assertThat(clock.lag(new Lsn(5000), 130 * S).orElseThrow().seconds()).isEqualTo(28.0);
        assertThat(clock.lag(new Lsn(9000), 130 * S).orElseThrow().seconds()).isZero();
    }

    @Test
    void behindBeforeTheFirstSampleIsOnlyALowerBound() {
        WalClock clock = new WalClock(Duration.ofMinutes(10));
        assertThat(clock.lag(new Lsn(1), 0)).isEmpty();
        clock.saw(new Lsn(5000), 10 * S);
        WalClock.Lag lag = clock.lag(new Lsn(1000), 15 * S).orElseThrow();
        assertThat(lag.atLeast()).isTrue();
        assertThat(lag.seconds()).isEqualTo(5.0);
    }

    @Test
    void oldSamplesAreDroppedButTheNewestOfThemKeepsBoundingWhatFollows() {
        WalClock clock = new WalClock(Duration.ofSeconds(60));
        clock.saw(new Lsn(1000), 0);
        clock.saw(new Lsn(2000), 10 * S);
        clock.saw(new Lsn(3000), 200 * S);
        // the sample at 0 is gone, the one at 10 s stays (the next is 190 s younger)
        WalClock.Lag lag = clock.lag(new Lsn(1500), 200 * S).orElseThrow();
        assertThat(lag.seconds()).isEqualTo(190.0);
        assertThat(lag.atLeast()).isTrue();
        assertThat(clock.lag(new Lsn(2000), 200 * S).orElseThrow().seconds()).isZero();
        assertThat(clock.lag(new Lsn(2000), 230 * S).orElseThrow().seconds()).isEqualTo(30.0);
    }

    @Test
    void aLowerPositionIsAnotherPrimaryAndStartsTheClockAgain() {
        WalClock clock = new WalClock(Duration.ofMinutes(10));
        clock.saw(new Lsn(9000), 0);
        clock.saw(new Lsn(4000), 5 * S);
        assertThat(clock.newest()).contains(new Lsn(4000));
        assertThat(clock.lag(new Lsn(3000), 6 * S).orElseThrow().atLeast()).isTrue();
    }
}
