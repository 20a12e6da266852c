package io.walferry.cli;

import io.walferry.failure.Failure;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Each kind of failure exits with the code docs/exit-codes.md gives it. */
class ExitCodeTest {
    @Test
    void everyKindHasItsDocumentedCode() {
        assertThat(ExitCode.of(Failure.CONFIG).code()).isEqualTo(2);
        assertThat(ExitCode.of(Failure.NOT_REGISTERED).code()).isEqualTo(2);
        assertThat(ExitCode.of(Failure.REPOSITORY).code()).isEqualTo(3);
        assertThat(ExitCode.of(Failure.CORRUPT).code()).isEqualTo(3);
        assertThat(ExitCode.of(Failure.POSTGRES).code()).isEqualTo(4);
        assertThat(ExitCode.of(Failure.REFUSED).code()).isEqualTo(5);
        assertThat(ExitCode.of(Failure.CONFLICT).code()).isEqualTo(5);
        assertThat(ExitCode.of(Failure.LOCAL).code()).isEqualTo(1);
        assertThat(ExitCode.of(Failure.FAILED).code()).isEqualTo(1);
        assertThat(ExitCode.of(Failure.INTERRUPTED).code()).isEqualTo(1);
    }
}
