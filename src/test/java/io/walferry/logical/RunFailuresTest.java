package io.walferry.logical;

import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class RunFailuresTest {
    @Test
    void serversOutOfReachOrRestartingPass_mistakesAndDifferencesDoNot() {
        assertThat(RunFailures.passing(new SQLException("connection refused", "08001"))).isTrue();
        assertThat(RunFailures.passing(new SQLException("terminating connection due to administrator command", "57P01"))).isTrue();
        assertThat(RunFailures.passing(new SQLException("replication slot is active for PID 7", "55006"))).isTrue();
        assertThat(RunFailures.passing(new SQLException("I/O", null, new EOFException()))).isTrue();
        assertThat(RunFailures.passing(WalferryException.postgres("cannot connect", "x", new SQLException("refused", "08001")))).isTrue();
        assertThat(RunFailures.passing(WalferryException.postgres("cannot connect", "x", new SQLException("password", "28P01")))).isFalse();
        assertThat(RunFailures.passing(new SQLException("permission denied for table t", "42501"))).isFalse();
        assertThat(RunFailures.passing(new SQLException("duplicate key", "23505"))).isFalse();
        assertThat(RunFailures.passing(WalferryException.refused("schema drift", "x"))).isFalse();
        assertThat(RunFailures.passing(new IllegalArgumentException("unknown pgoutput message"))).isFalse();
    }
}
