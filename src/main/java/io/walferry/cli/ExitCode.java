package io.walferry.cli;

import io.walferry.failure.Failure;

/**
 * The documented process exit codes of every walferry command (see docs/exit-codes.md).
 * PostgreSQL reads them too: for restore_command any status from 1 to 125 means "not available",
 * above 125 it aborts recovery, so {@link #RECOVERY_MUST_STOP} is used only when replay must not go on.
 */
public enum ExitCode {
    OK(0),
    /** Not found (archive-get), or failed but worth retrying later (archive-push, check). */
    FAILED(1),
    /** The configuration or the command line is wrong. */
    CONFIG(2),
    /** A repository is unreachable, or an object in it is corrupt, missing or does not match. */
    REPOSITORY(3),
    /** PostgreSQL could not be reached or refused what walferry asked. */
    POSTGRES(4),
    /** The input was refused: WAL of another cluster, a malformed segment, different content than stored. */
    REFUSED(5),
    /** archive-get during archive recovery could not hand over a verified file: ending recovery here would lose data. */
    RECOVERY_MUST_STOP(126);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The exit code of a failure of {@code kind}; archive-get decides its own where PostgreSQL reads it. */
    public static ExitCode of(Failure kind) {
        return switch (kind) {
            case CONFIG, NOT_REGISTERED -> CONFIG;
            case REPOSITORY, CORRUPT -> REPOSITORY;
            case POSTGRES -> POSTGRES;
            case REFUSED, CONFLICT -> REFUSED;
            case LOCAL, FAILED, INTERRUPTED -> FAILED;
        };
    }
}
