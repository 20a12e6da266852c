package io.walferry.router;

import io.walferry.config.RouterConfig;

import java.security.SecureRandom;
import java.util.Optional;

/** What a client connection needs of the router around it. Called on the router's event loop only. */
interface RouterContext {
    RouterConfig config();

    SecureRandom random();

    Backends backends();

    /** TLS as configured now. */
    RouterTls tls();

    /** Counts a new client in; false when the router holds as many as it may. */
    boolean admit(ClientConnection c);

    void leave(ClientConnection c);

    Optional<UserSecret> user(String name);

    /** How to log in to servers as {@code user}, with the client's SCRAM ClientKey when it gave one. */
    ServerCredentials serverCredentials(String user, Optional<byte[]> clientKey);

    /** A client's cancel request: forwarded to the server its session is on, if the key matches. */
    void cancel(int pid, int key);
}
