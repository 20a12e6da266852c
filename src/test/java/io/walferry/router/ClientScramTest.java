package io.walferry.router;

import com.ongres.scram.client.ScramClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The router's side of SCRAM-SHA-256 against a real client implementation (the library pgjdbc uses), and the users file. */
class ClientScramTest {
    @TempDir
    Path tmp;

    /** A verifier of password "app-secret" as pg_authid holds one (RFC 5802 keys, salt and iterations). */
    private static final String VERIFIER = "SCRAM-SHA-256$4096:Ft9/ovt4Xb6xGV4eU4+qPw==$+cu3ZkhGJUalI/J7ue1gXpdn9YIedHb0UNnUlmvSLSk=:"
            + "a9Sg3T5uprZoncJtXbVWg9YUoyaztn9tcd5/LjQid78=";

    private Map<String, UserSecret> users(String text, String mode) throws IOException {
        Path f = tmp.resolve("users.txt");
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return UsersFile.load(f);
    }

    private static ClientScram.Proven exchange(UserSecret secret, String password) throws Exception {
        ClientScram server = new ClientScram(secret.scram(), new SecureRandom());
        ScramClient client = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
                .password(password.toCharArray()).build();
        client.serverFirstMessage(server.serverFirst(client.clientFirstMessage().toString()));
        ClientScram.Proven proven = server.clientFinal(client.clientFinalMessage().toString());
        client.serverFinalMessage(proven.serverFinal()); // the client checks the router knows the verifier
        return proven;
    }

    @Test
    void aClientWithTheRightPasswordIsProvenWithVerifiersAndPasswords() throws Exception {
        Map<String, UserSecret> u = users("; comment\n\"app\" \"" + VERIFIER + "\"\n\"plain\" \"pw\"\n\n# another\n", "rw-------");
        assertThat(exchange(u.get("app"), "app-secret").clientKey()).hasSize(32);
        assertThat(exchange(u.get("plain"), "pw").clientKey()).hasSize(32);
        assertThat(u.get("plain").password()).contains("pw");
        assertThat(u.get("app").password()).isEmpty();
        assertThat(u.get("plain").toString()).doesNotContain("pw\"").isEqualTo("UserSecret[plain]");
        assertThatThrownBy(() -> exchange(u.get("app"), "wrong")).isInstanceOf(ClientScram.Refused.class)
                .hasMessage("password authentication failed");
    }

    @Test
    void libpqsEmptyUserNameAndTamperedMessages() throws Exception {
        UserSecret s = users("\"app\" \"" + VERIFIER + "\"\n", "rw-------").get("app");
        ClientScram server = new ClientScram(s.scram(), new SecureRandom());
        String first = server.serverFirst("n,,n=,r=abcdefghijklmnop");
        assertThat(first).startsWith("r=abcdefghijklmnop").contains(",s=Ft9/ovt4Xb6xGV4eU4+qPw==,i=4096");
        assertThatThrownBy(() -> server.clientFinal("c=biws,r=someoneelse,p=AAAA")).isInstanceOf(ClientScram.Refused.class)
                .hasMessageContaining("wrong nonce");
        assertThatThrownBy(() -> new ClientScram(s.scram(), new SecureRandom()).serverFirst("p=tls-server-end-point,,n=,r=x"))
                .hasMessageContaining("channel binding");
        assertThatThrownBy(() -> new ClientScram(s.scram(), new SecureRandom()).serverFirst("garbage"))
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> new ClientScram(s.scram(), new SecureRandom()).clientFinal("c=biws,r=x,p=AAAA"))
                .hasMessageContaining("before the client-first");
    }

    /**
     * SCRAM pass-through, as PgBouncer does it: the ClientKey the router recovers from a client's proof, with the
     * verifier's ServerKey, is all a SCRAM client needs to log in to a server that holds the same verifier; a client
     * with a wrong password leaves nothing to log in with.
     */
    @Test
    void theClientKeyOfAProvenClientLogsInToAServerHoldingTheSameVerifier() throws Exception {
        UserSecret s = users("\"app\" \"" + VERIFIER + "\"\n", "rw-------").get("app");
        ClientScram.Proven proven = exchange(s, "app-secret");
        ClientScram server = new ClientScram(s.scram(), new SecureRandom()); // PostgreSQL's side, with the same verifier
        ScramClient router = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
                .clientAndServerKey(proven.clientKey(), s.scram().serverKey()).build();
        router.serverFirstMessage(server.serverFirst(router.clientFirstMessage().toString()));
        ClientScram.Proven relayed = server.clientFinal(router.clientFinalMessage().toString());
        router.serverFinalMessage(relayed.serverFinal());
        assertThat(relayed.clientKey()).isEqualTo(proven.clientKey());
    }

    @Test
    void anUnknownUserFailsAtTheSameStepAsAWrongPasswordWithAStableSalt() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        UserSecret.Scram a = UserSecret.Scram.unknown("nobody", key, new SecureRandom());
        UserSecret.Scram b = UserSecret.Scram.unknown("nobody", key, new SecureRandom());
        assertThat(a.salt()).isEqualTo(b.salt()).hasSize(16);
        assertThat(UserSecret.Scram.unknown("other", key, new SecureRandom()).salt()).isNotEqualTo(a.salt());
        UserSecret unknown = new UserSecret("nobody", java.util.Optional.empty(), a);
        assertThatThrownBy(() -> exchange(unknown, "anything")).isInstanceOf(ClientScram.Refused.class)
                .hasMessage("password authentication failed");
    }

    @Test
    void verifiersAreParsedAsPgAuthidHoldsThem() {
        assertThat(UserSecret.Scram.parse(VERIFIER)).hasValueSatisfying(v -> assertThat(v.iterations()).isEqualTo(4096));
        assertThat(UserSecret.Scram.parse("md5" + "0".repeat(32))).isEmpty();
        assertThat(UserSecret.Scram.parse("SCRAM-SHA-256$4096:!!$a:b")).isEmpty();
    }

    @Test
    void badUsersFilesAreRefusedWithTheLine() {
        assertThatThrownBy(() -> users("\"app\" \"pw\"\n", "rw-r--r--")).hasMessageContaining("is open to other users")
                .satisfies(e -> assertThat(((io.walferry.failure.WalferryException) e).oneLine()).contains("(hint: run chmod 600 "));
        assertThatThrownBy(() -> users("\n app pw\n", "rw-------")).hasMessageContaining("users.txt:2: expected \"user\" \"secret\"");
        assertThatThrownBy(() -> users("\"a\" \"x\"\n\"a\" \"y\"\n", "rw-------")).hasMessageContaining(":2: user a is listed twice");
        assertThatThrownBy(() -> users("\"a\" \"md5" + "0".repeat(32) + "\"\n", "rw-------")).hasMessageContaining("an MD5 hash cannot");
        assertThatThrownBy(() -> users("\"a\" \"SCRAM-SHA-256$x\"\n", "rw-------")).hasMessageContaining("not a SCRAM-SHA-256 verifier")
                .hasMessageNotContaining("SCRAM-SHA-256$x");
    }
}
