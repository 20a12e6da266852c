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

    /**
     * The user's secret, from the users file (which wins) or else {@code auth_query}; {@code then} hears it on the event
     * loop, at once or when the lookup is done.
     */
    void secret(String name, java.util.function.Consumer<UserLookup.Result> then);

    /** A verifier no password fits, for a user the router does not know (the same salt for the same name). */
    UserSecret.Scram unknownUser(String name);

    /** Counts an authenticated client in under its user's limit, or says why not ({@code max_user_connections}). */
    Optional<String> admitUser(ClientConnection c, String user);

    /** How to log in to servers as {@code user}, with the client's SCRAM ClientKey when it gave one. */
    ServerCredentials serverCredentials(String user, Optional<byte[]> clientKey);

    /** A client's cancel request: forwarded to the server its session is on, if the key matches. */
    void cancel(int pid, int key);
}
