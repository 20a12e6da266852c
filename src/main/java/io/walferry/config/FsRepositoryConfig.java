package io.walferry.config;

import java.nio.file.Path;
import java.util.Optional;

/** A repository in a local or mounted directory. */
public record FsRepositoryConfig(String name, Path path, boolean required, Optional<EncryptionConfig> encryption) implements RepositoryConfig {
    @Override
    public String describe() {
        return name + " (fs " + path + ")";
    }
}
