package io.walferry.monitor;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.WalStreamState;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The stream's lag in seconds as walferry status shows it. */
class WalStreamStatusTest {
    private static WalStreamState state(long lagBytes, Optional<Double> flushLag) {
        return new WalStreamState("walferry_stream_pg1", true, Optional.of(new Lsn(0x5000000)), Optional.of(lagBytes), flushLag, Optional.of("sync"), true);
    }

    @Test
    void aStreamThatStoredAllThePrimaryWroteIsZeroSecondsBehindWhateverItsLastFlushLagWas() {
        assertThat(WalStreamStatus.lagSeconds(state(0, Optional.of(0.7)))).contains(0.0);
        assertThat(WalStreamStatus.lagSeconds(state(0, Optional.empty()))).as("idle: PostgreSQL shows no flush_lag").contains(0.0);
    }

    @Test
    void whileWalWaitsItIsTheConnectionsFlushLagOrUnknownWhenNotConnected() {
        assertThat(WalStreamStatus.lagSeconds(state(8192, Optional.of(0.25)))).contains(0.25);
        assertThat(WalStreamStatus.lagSeconds(state(8192, Optional.empty()))).isEmpty();
    }
}
