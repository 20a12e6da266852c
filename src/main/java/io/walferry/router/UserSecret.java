package io.walferry.router;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        private static final Pattern VERIFIER = Pattern.compile("SCRAM-SHA-256\\$(\\d+):([^$]+)\\$([^:]+):(.+)");

        /** The verifier in PostgreSQL's text form, or empty when {@code text} is not one. */
        static Optional<Scram> parse(String text) {
            Matcher v = VERIFIER.matcher(text);
            if (!v.matches()) {
                return Optional.empty();
            }
            try {
                Base64.Decoder d = Base64.getDecoder();
                return Optional.of(new Scram(Integer.parseInt(v.group(1)), d.decode(v.group(2)), d.decode(v.group(3)), d.decode(v.group(4))));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        /**
         * A verifier no password fits, for a user the router does not know: the client goes through the same exchange as
         * one with a wrong password, and cannot tell the two apart (as PostgreSQL does). Its salt is the same for the same
         * name during the router's life, as a real user's is.
         */
        static Scram unknown(String name, byte[] routerKey, java.security.SecureRandom random) {
            byte[] salt = java.util.Arrays.copyOf(ScramFunctions.hmac(ScramMechanism.SCRAM_SHA_256, routerKey,
                    name.getBytes(StandardCharsets.UTF_8)), 16);
            byte[] stored = new byte[32];
            byte[] server = new byte[32];
            random.nextBytes(stored);
            random.nextBytes(server);
            return new Scram(4096, salt, stored, server);
        }

        @Override
        public String toString() {
            return "Scram[hidden]";
        }
    }
}
