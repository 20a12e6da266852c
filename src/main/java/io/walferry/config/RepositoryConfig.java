package io.walferry.config;

/**
 * Where WAL and backups are stored. {@code required} repositories must hold a segment before archive-push
 * acknowledges it; the others are caught up by the agent.
 */
public sealed interface RepositoryConfig permits FsRepositoryConfig, S3RepositoryConfig {
    String name();

    boolean required();

    /** Client-side encryption of every object, if configured. */
    java.util.Optional<EncryptionConfig> encryption();

    /** A description safe to print: no secrets. */
    String describe();
}
