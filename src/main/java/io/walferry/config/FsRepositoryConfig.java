package io.walferry.config;

import java.nio.file.Path;

/** A repository in a local or mounted directory. */
public record FsRepositoryConfig(String name, Path path, boolean required) implements RepositoryConfig {
    @Override
    public String describe() {
        return name + " (fs " + path + ")";
    }
}
