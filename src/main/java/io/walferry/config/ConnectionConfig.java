package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How walferry connects to every node's PostgreSQL: role, database and TLS.
 *
 * @param sslMode        as configured; empty: by where the node is ({@link #tlsFor})
 * @param channelBinding as configured (disable, prefer, require); empty: by where the node is
 * @param passfile       a libpq password file that replicas read (primary_conninfo carries no password)
 */
public record ConnectionConfig(String user, String database, Optional<Secret> password, Optional<String> sslMode,
                               Optional<Path> sslRootCert, Optional<Path> sslCert, Optional<Path> sslKey,
                               Duration connectTimeout, Optional<String> channelBinding, Optional<Path> passfile) {
    public static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    public static final Set<String> CHANNEL_BINDINGS = Set.of("disable", "prefer", "require");

    /** Nothing configured: the postgres role and database, TLS by where each node is. */
    public static ConnectionConfig defaults() {
        return new ConnectionConfig("postgres", "postgres", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofSeconds(10), Optional.empty(), Optional.empty());
    }

    /** The same TLS settings as another role, in {@code otherDatabase} (the router's auth_query). */
    public ConnectionConfig withLogin(String otherUser, Optional<Secret> otherPassword, String otherDatabase) {
        return new ConnectionConfig(otherUser, otherDatabase, otherPassword, sslMode, sslRootCert, sslCert, sslKey, connectTimeout,
                channelBinding, Optional.empty());
    }

    /** The same settings for another database of the server. */
    public ConnectionConfig withDatabase(String other) {
        return new ConnectionConfig(user, other, password, sslMode, sslRootCert, sslCert, sslKey, connectTimeout, channelBinding, passfile);
    }

    /**
     * How a connection to {@code host} is protected. What is configured applies everywhere. Otherwise a node on
     * loopback keeps libpq's {@code prefer} (its traffic never leaves the host), and any other is verified
     * ({@code verify-full}: the certificate must be signed by the CA and name the host) with channel binding
     * required, so that a password exchange cannot be relayed; but not with a client certificate, which
     * authenticates without SCRAM, the only method that binds.
     */
    public Tls tlsFor(String host) {
        boolean loopback = LoopbackHost.is(host);
        String mode = sslMode.orElse(loopback ? "prefer" : "verify-full");
        boolean encrypted = Set.of("require", "verify-ca", "verify-full").contains(mode);
        String binding = channelBinding.orElse(!loopback && encrypted && sslCert.isEmpty() ? "require" : "prefer");
        return new Tls(host, mode, binding, loopback);
    }

    /** The TLS settings of the connections to one host. */
    public record Tls(String host, String sslMode, String channelBinding, boolean loopback) {
        /**
         * Why someone on the network path could read or change this connection, or empty: a host off loopback
         * whose certificate is not checked against its name.
         */
        public Optional<String> weakness() {
            return weakness("connection");
        }

        /** As {@link #weakness()}, naming {@code section} as where the settings are. */
        public Optional<String> weakness(String section) {
            if (loopback || sslMode.equals("verify-full")) {
                return Optional.empty();
            }
            return Optional.of("connections to " + host + " use sslmode " + sslMode + ": the server's certificate is not checked against "
                    + "its name, so anyone on the network path can pose as it" + (sslMode.equals("verify-ca") ? "" : " and read the traffic")
                    + "; set " + section + ".sslmode: verify-full and sslrootcert (docs/security.md)");
        }
    }
}
