package io.walferry.router;

import java.util.Optional;

/**
 * How the router logs in to a server as a client's user: the password from the users file, or the client's SCRAM
 * keys (which work where the server holds the same verifier), or nothing (the server trusts the router).
 */
record ServerCredentials(String user, Optional<String> password, Optional<byte[]> clientKey, Optional<byte[]> serverKey) {
    static ServerCredentials none(String user) {
        return new ServerCredentials(user, Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Override
    public String toString() {
        return "ServerCredentials[" + user + "]";
    }
}
