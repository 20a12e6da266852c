package io.walferry.logical;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ApplyRateTest {
    private static final long S = 1_000_000_000L;

    @Test
    void perSecondOverTheCurrentAndThePreviousWindow() {
        ApplyRate r = new ApplyRate(0);
        r.add(S / 2, 100, 10);
        assertThat(r.rowsPerSecond(S / 2)).as("never over less than a second").isCloseTo(100, within(0.01));
        r.add(5 * S, 900, 90);
        assertThat(r.rowsPerSecond(5 * S)).isCloseTo(200, within(0.01));
        assertThat(r.transactionsPerSecond(5 * S)).isCloseTo(20, within(0.01));
        r.add(10 * S, 1000, 100);
        assertThat(r.rowsPerSecond(10 * S)).as("a new window keeps the last one").isCloseTo(200, within(0.01));
        r.add(25 * S, 0, 0);
        r.add(35 * S, 0, 0);
        assertThat(r.rowsPerSecond(35 * S)).as("idle windows bring it to zero").isZero();
    }
}
