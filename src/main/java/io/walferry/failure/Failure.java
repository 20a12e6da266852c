package io.walferry.failure;

/**
 * What kind of thing went wrong, as callers match on it. Only the command line turns a kind into an exit code
 * (cli/ExitCode, docs/exit-codes.md); nothing decides on exit codes or on message text.
 */
public enum Failure {
    /** The configuration or the command line is wrong. */
    CONFIG,
    /** A repository holds no registration for the cluster (not created, or not mounted). */
    NOT_REGISTERED,
    /** A repository cannot be reached, read or written. */
    REPOSITORY,
    /** A stored object is damaged, truncated or altered, or missing where it must be. */
    CORRUPT,
    /** PostgreSQL cannot be reached, refused what walferry asked, or did not do it in time. */
    POSTGRES,
    /** The input or the request was refused: WAL of another cluster, a server that is not the cluster's, a busy target. */
    REFUSED,
    /** Something else is stored already under that name: different content, another branch of the history. */
    CONFLICT,
    /** A local file or directory cannot be read or written (permissions, free space). */
    LOCAL,
    /** It did not work this time; trying again later may (the agent's last attempt, a failed check). */
    FAILED,
    /** The process was interrupted. */
    INTERRUPTED
}
