package io.walferry.cli;

import io.walferry.failure.WalferryException;

/** A failure a command gives an exit code of its own (archive-get, where PostgreSQL reads the code): printed as any other. */
final class ExitWith extends RuntimeException {
    private final ExitCode code;

    ExitWith(ExitCode code, WalferryException failure) {
        super(failure.getMessage(), failure);
        this.code = code;
    }

    ExitCode code() {
        return code;
    }

    WalferryException failure() {
        return (WalferryException) getCause();
    }
}
