package io.walferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Resolves ${env:NAME} and ${file:/path} secret references; a secret file must be private ({@link SecretFileAccess}). */
final class SecretResolver {
    private final Map<String, String> environment;

    SecretResolver(Map<String, String> environment) {
        this.environment = environment;
    }

    Secret resolve(String kind, String target) {
        if (kind.equals("env")) {
            String v = environment.get(target);
            if (v == null || v.isEmpty()) {
                throw new IllegalArgumentException("environment variable " + target + " is not set");
            }
            return new Secret(v, "env:" + target);
        }
        Path p = Path.of(target);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException("secret file must be an absolute path, got " + target);
        }
        try {
            java.util.Optional<String> problem = SecretFileAccess.problem(p);
            if (problem.isPresent()) {
                throw new IllegalArgumentException("secret file " + p + " " + problem.get());
            }
            return new Secret(Files.readString(p).strip(), "file:" + p);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read secret file " + p + " (" + e.getClass().getSimpleName() + ")");
        }
    }
}
