package io.walferry.config;

/**
 * Where WAL and backups are stored. {@code required} repositories must hold a segment before archive-push
 * acknowledges it; the others are caught up by the agent.
 */
public sealed interface RepositoryConfig permits FsRepositoryConfig {
    String name();

    boolean required();

    /** A description safe to print: no secrets. */
    String describe();
}
