package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The router (the {@code router:} section): the endpoints applications connect to, how clients are authenticated and
 * limited, and when a replica is fit to serve reads. See docs/router.md.
 *
 * @param listen            the address every endpoint listens on (loopback unless configured)
 * @param endpoints         one per role, each on its own port
 * @param auth              how clients prove who they are
 * @param usersFile         with {@code auth: scram}: the users and their SCRAM secrets (or passwords), PgBouncer's userlist format
 * @param maxClients        client connections the router holds at once; one more is refused with an error
 * @param maxMessageBytes   the largest protocol message a client may send; a larger one ends its connection
 * @param startupTimeout    how long a client may take to finish its start-up and authentication
 * @param failoverWait      how long a new {@code rw} transaction waits for a primary when there is none
 * @param maxLagBytes       a replica further behind the primary's WAL position than this serves no reads
 * @param maxLagTime        a replica that has not replayed what the primary wrote this long ago serves no reads
 * @param checkInterval     how often the router probes every node
 * @param connectTimeout    how long opening and authenticating one server connection may take
 */
public record RouterConfig(String listen, List<Endpoint> endpoints, ClientAuth auth, Optional<Path> usersFile, int maxClients,
                           long maxMessageBytes, Duration startupTimeout, Duration failoverWait, long maxLagBytes, Duration maxLagTime,
                           Duration checkInterval, Duration connectTimeout) {
    public RouterConfig {
        endpoints = List.copyOf(endpoints);
    }

    /**
     * Where an endpoint's transactions go: {@code rw} to the primary, {@code ro} to a fit replica (else the primary),
     * {@code auto} to a fit replica when the transaction is provably read-only, else the primary.
     */
    public enum Role { RW, RO, AUTO }

    /** When a server connection goes back to the pool: when the client leaves, or at the end of each transaction. */
    public enum PoolMode { SESSION, TRANSACTION }

    /** SCRAM-SHA-256 against the users file, or none (only for a router on loopback, or behind something that checks). */
    public enum ClientAuth { SCRAM, TRUST }

    /**
     * One port of the router.
     *
     * @param poolSize server connections per server, user and database; more clients wait for one
     */
    public record Endpoint(Role role, int port, PoolMode poolMode, int poolSize) {
    }

    public Optional<Endpoint> endpoint(Role role) {
        return endpoints.stream().filter(e -> e.role() == role).findFirst();
    }
}
