package io.walferry.router;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;
import com.ongres.scram.common.ServerFirstMessage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The router's side of a client's SCRAM-SHA-256 exchange (RFC 5802, as PostgreSQL runs it): the server-first message,
 * then the check of the client's proof against the user's verifier. A client that passes also hands the router its
 * ClientKey (the proof XOR the client signature), with which the router can log in to a server that holds the same
 * verifier, as PgBouncer does.
 */
final class ClientScram {
    static final String MECHANISM = "SCRAM-SHA-256";
    private static final ScramMechanism SHA256 = ScramMechanism.SCRAM_SHA_256;

    private final UserSecret.Scram secret;
    private final SecureRandom random;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;

    ClientScram(UserSecret.Scram secret, SecureRandom random) {
        this.secret = secret;
        this.random = random;
    }

    /** A refused exchange: the client's message or proof was wrong. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** What a proven client leaves: the message to send it, and its ClientKey. */
    record Proven(String serverFinal, byte[] clientKey) {
    }

    /**
     * Answers the client-first message. Read by hand: libpq sends an empty user name ({@code n=,}), which a strict
     * parser refuses, and PostgreSQL takes the user from the start-up packet anyway.
     */
    String serverFirst(String clientFirst) throws Refused {
        if (clientFirst.startsWith("p")) {
            throw new Refused("channel binding is not offered by the router");
        }
        int headerEnd = clientFirst.indexOf(',', clientFirst.indexOf(',') + 1);
        if (!(clientFirst.startsWith("n,") || clientFirst.startsWith("y,")) || headerEnd < 0) {
            throw new Refused("malformed SCRAM client-first message");
        }
        gs2Header = clientFirst.substring(0, headerEnd + 1);
        clientFirstBare = clientFirst.substring(headerEnd + 1);
        String clientNonce = null;
        for (String attribute : clientFirstBare.split(",")) {
            if (attribute.startsWith("r=") && attribute.length() > 2) {
                clientNonce = attribute.substring(2);
            }
        }
        if (!clientFirstBare.startsWith("n=") || clientNonce == null) {
            throw new Refused("malformed SCRAM client-first message");
        }
        String serverNonce = ScramFunctions.nonce(24, random);
        nonce = clientNonce + serverNonce;
        serverFirst = new ServerFirstMessage(clientNonce, serverNonce,
                Base64.getEncoder().encodeToString(secret.salt()), secret.iterations()).toString();
        return serverFirst;
    }

    Proven clientFinal(String clientFinal) throws Refused {
        if (serverFirst == null) {
            throw new Refused("SCRAM client-final message before the client-first");
        }
        int p = clientFinal.lastIndexOf(",p=");
        if (p < 0) {
            throw new Refused("malformed SCRAM client-final message");
        }
        String withoutProof = clientFinal.substring(0, p);
        String expected = "c=" + Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8)) + ",r=" + nonce;
        if (!withoutProof.equals(expected)) {
            throw new Refused("SCRAM client-final message with a wrong nonce or channel binding");
        }
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(clientFinal.substring(p + 3));
        } catch (IllegalArgumentException e) {
            throw new Refused("malformed SCRAM proof");
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] signature = ScramFunctions.clientSignature(SHA256, secret.storedKey(), authMessage);
        if (proof.length != signature.length) {
            throw new Refused("password authentication failed");
        }
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < proof.length; i++) {
            clientKey[i] = (byte) (proof[i] ^ signature[i]);
        }
        if (!MessageDigest.isEqual(ScramFunctions.hash(SHA256, clientKey), secret.storedKey())) {
            throw new Refused("password authentication failed");
        }
        byte[] serverSignature = ScramFunctions.serverSignature(SHA256, secret.serverKey(), authMessage);
        return new Proven("v=" + Base64.getEncoder().encodeToString(serverSignature), clientKey);
    }
}
