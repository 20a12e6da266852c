package io.walferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

/** Resolves ${env:NAME} and ${file:/path} secret references; a secret file must not be readable by others. */
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
            if (WorldReadable.check(p)) {
                throw new IllegalArgumentException("secret file " + p + " is readable by other users; run chmod o-rwx " + p);
            }
            return new Secret(Files.readString(p).strip(), "file:" + p);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read secret file " + p + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Permission test shared with the check of the configuration file itself. */
    static final class WorldReadable {
        private WorldReadable() {
        }

        static boolean check(Path p) throws IOException {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                return perms.contains(PosixFilePermission.OTHERS_READ);
            } catch (UnsupportedOperationException e) {
                return false;
            }
        }
    }
}
