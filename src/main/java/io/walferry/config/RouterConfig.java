package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

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
 * @param clientWriteTimeout how long a client may leave what the router sends it unread (its socket full) before it is
 *                          disconnected; 0: no limit
 * @param failoverWait      how long a new {@code rw} transaction waits for a primary when there is none
 * @param maxLagBytes       a replica further behind the primary's WAL position than this serves no reads
 * @param maxLagTime        a replica that has not replayed what the primary wrote this long ago serves no reads
 * @param checkInterval     how often the router probes every node
 * @param connectTimeout    how long opening and authenticating one server connection may take
 * @param tls               TLS offered to clients (a certificate and key), or none
 * @param serverTls         TLS of the router's connections to the servers
 * @param metrics           where the router serves {@code /metrics} and {@code /status}; port 0: nowhere
 * @param authQuery         with {@code auth: scram}: users not in the users file are looked up on the primary, as PgBouncer's auth_query
 * @param userLimits        client connections per user, and server connections per user and node; 0: no limit
 */
public record RouterConfig(String listen, List<Endpoint> endpoints, ClientAuth auth, Optional<Path> usersFile, int maxClients,
                           long maxMessageBytes, Duration startupTimeout, Duration failoverWait, long maxLagBytes, Duration maxLagTime,
                           Duration checkInterval, Duration connectTimeout, Optional<ClientTls> tls, ServerTls serverTls, Metrics metrics,
                           Optional<AuthQuery> authQuery, UserLimits userLimits, Duration clientWriteTimeout) {
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

    /**
     * SCRAM-SHA-256 against the users file (or {@code auth_query}), the client certificate's CN as the user (as
     * PostgreSQL's {@code cert}), or none (only for a router on loopback, or behind something that checks).
     */
    public enum ClientAuth { SCRAM, TRUST, CERT }

    /**
     * PgBouncer's auth_user and auth_query: the router logs in to the primary as {@code user} and runs {@code query} with
     * the client's user name as {@code $1}; the row's {@code passwd} column is the SCRAM verifier. Answers are kept for
     * {@code cacheTtl}.
     *
     * @param query    empty: the default of {@code postgres/RoleSecrets}
     * @param database empty: {@code connection.database}
     */
    public record AuthQuery(String user, Optional<Secret> password, Optional<String> query, Optional<String> database, Duration cacheTtl) {
    }

    /**
     * Limits per user, beside each pool's {@code pool_size}.
     *
     * @param maxConnections client connections one user may hold at once ({@code max_user_connections}); 0: no limit
     * @param poolSize       server connections one user may hold on one node, over all its pools ({@code user_pool_size}); 0: no limit
     * @param users          overrides by user name ({@code user_limits}); a user without one, or a key it does not set, takes the above
     */
    public record UserLimits(int maxConnections, int poolSize, Map<String, PerUser> users) {
        public static final UserLimits NONE = new UserLimits(0, 0);

        public UserLimits {
            users = Map.copyOf(users);
        }

        public UserLimits(int maxConnections, int poolSize) {
            this(maxConnections, poolSize, Map.of());
        }

        /** One user's own limits ({@code router.user_limits.<user>}); empty: the global value; 0: no limit for this user. */
        public record PerUser(OptionalInt maxConnections, OptionalInt poolSize) {
        }

        /** A limit in force for one user, and the configuration key it comes from (for messages); 0: no limit. */
        public record Limit(int value, String key) {
            /** Whether one holding {@code held} may hold no more. */
            public boolean reached(int held) {
                return value > 0 && held >= value;
            }
        }

        /** The client connections {@code user} may hold at once. */
        public Limit clients(String user) {
            return limit(user, PerUser::maxConnections, maxConnections, "max_user_connections");
        }

        /** The server connections {@code user} may hold on one node. */
        public Limit servers(String user) {
            return limit(user, PerUser::poolSize, poolSize, "user_pool_size");
        }

        private Limit limit(String user, Function<PerUser, OptionalInt> own, int global, String name) {
            PerUser u = users.get(user);
            OptionalInt v = u == null ? OptionalInt.empty() : own.apply(u);
            return v.isPresent() ? new Limit(v.getAsInt(), "router.user_limits." + user + "." + name) : new Limit(global, "router." + name);
        }
    }

    /** How the router checks a client's certificate ({@code router.tls.clients} verify-ca and verify-full). */
    public enum ClientCertificates {
        /** None asked for. */
        NONE,
        /** Required, and signed by a CA of {@code client_ca}. */
        VERIFY_CA,
        /** As {@code VERIFY_CA}, and its CN is the user name the client logs in as. */
        VERIFY_FULL
    }

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
    public record ClientTls(Path certificate, Path key, boolean required, ClientCertificates clientCertificates, Optional<Path> clientCa) {
        public ClientTls(Path certificate, Path key, boolean required) {
            this(certificate, key, required, ClientCertificates.NONE, Optional.empty());
        }
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
