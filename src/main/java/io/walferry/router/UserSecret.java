package io.walferry.router;

import java.util.Optional;

/**
 * What the router knows of one user: its SCRAM-SHA-256 verifier (to check a client), and its password when the users
 * file gives one (to log in to a server that asks for a password). Never printed.
 */
record UserSecret(String name, Optional<String> password, Scram scram) {
    @Override
    public String toString() {
        return "UserSecret[" + name + "]";
    }

    /** A SCRAM verifier: PostgreSQL's {@code SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey}. */
    record Scram(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
        @Override
        public String toString() {
            return "Scram[hidden]";
        }
    }
}
