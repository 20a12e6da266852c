package io.walferry.config;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.nio.file.Path;

/** A bad configuration value, reported as "file:line: key: what is expected". */
public final class ConfigException extends WalferryException {
    public ConfigException(Path file, int line, String key, String problem) {
        super(Failure.CONFIG, location(file, line) + (key == null || key.isEmpty() ? "" : key + ": ") + problem, null);
    }

    private static String location(Path file, int line) {
        return line > 0 ? file + ":" + line + ": " : file + ": ";
    }
}
