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
 * @param tls               TLS offered to clients (a certificate and key), or none
 * @param serverTls         TLS of the router's connections to the servers
 * @param metrics           where the router serves {@code /metrics} and {@code /status}; port 0: nowhere
 */
public record RouterConfig(String listen, List<Endpoint> endpoints, ClientAuth auth, Optional<Path> usersFile, int maxClients,
                           long maxMessageBytes, Duration startupTimeout, Duration failoverWait, long maxLagBytes, Duration maxLagTime,
                           Duration checkInterval, Duration connectTimeout, Optional<ClientTls> tls, ServerTls serverTls, Metrics metrics) {
    public static final int DEFAULT_METRICS_PORT = 9818;

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

    /**
     * TLS for clients ({@code router.tls}): the router's certificate chain and key (PEM), and whether a client may
     * still connect without it.
     */
    public record ClientTls(Path certificate, Path key, boolean required) {
    }

    /**
     * TLS to the servers ({@code router.server_tls}), as libpq's sslmode: {@code disable}, {@code prefer},
     * {@code require}, {@code verify-ca} or {@code verify-full}, against {@code sslrootcert} (else the JDK's CAs).
     *
     * @param sslMode        as configured; empty: {@code disable} to a node on loopback, {@code verify-full} to any other
     * @param allowPlaintext a node off loopback may be reached without TLS ({@code disable} or {@code prefer})
     */
    public record ServerTls(Optional<String> sslMode, Optional<Path> sslRootCert, boolean allowPlaintext) {
        public static final ServerTls DEFAULT = new ServerTls(Optional.empty(), Optional.empty(), false);
        public static final java.util.Set<String> MODES = java.util.Set.of("disable", "prefer", "require", "verify-ca", "verify-full");

        /** The sslmode of the connections to {@code host}. */
        public String modeFor(String host) {
            return sslMode.orElse(LoopbackHost.is(host) ? "disable" : "verify-full");
        }
    }

    /** The router's HTTP server: {@code /metrics} (Prometheus) and {@code /status} (JSON); port 0 serves neither. */
    public record Metrics(String listen, int port) {
    }

    public Optional<Endpoint> endpoint(Role role) {
        return endpoints.stream().filter(e -> e.role() == role).findFirst();
    }
}
