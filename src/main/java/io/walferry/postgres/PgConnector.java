package io.walferry.postgres;

import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import io.walferry.failure.WalferryException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Opens JDBC connections to a node with the configured role and TLS settings ({@link ConnectionConfig#tlsFor}: a
 * node off loopback is verified unless configured otherwise, and a weaker setting is warned about once). Errors
 * name the node and the address, never the password.
 */
public final class PgConnector {
    private static final Logger LOG = LoggerFactory.getLogger(PgConnector.class);
    /** Where pgjdbc, like libpq, looks for the CA when sslrootcert is not set. */
    private static final Path DEFAULT_ROOT_CERT = Path.of(System.getProperty("user.home"), ".postgresql", "root.crt");
    /** A weak setting is said once per process, at the first connection to the host. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    private static final String INVALID_PASSWORD = "28P01";
    private static final String INVALID_AUTHORIZATION = "28000";

    private final ConnectionConfig config;

    public PgConnector(ConnectionConfig config) {
        this.config = config;
    }

    public Connection connect(NodeConfig node) {
        return connect(node, false);
    }

    /**
     * A connection whose whole login (connect, TLS, authentication) takes at most {@code login}: for a loop that must
     * go on when a server hangs (a stopped postmaster accepts the TCP connection and never answers).
     */
    public Connection connect(NodeConfig node, Duration login) {
        Properties extra = new Properties();
        extra.setProperty("loginTimeout", String.valueOf(Math.max(1, Math.min(login.toSeconds(), config.connectTimeout().toSeconds()))));
        return connect(Server.of(node), false, extra);
    }

    /** A replication connection speaks the walsender protocol (for IDENTIFY_SYSTEM, slots, streams). */
    public Connection connect(NodeConfig node, boolean replication) {
        return connect(Server.of(node), replication, new Properties());
    }

    /**
     * A physical replication connection (replication=true): what streams WAL ({@link WalStream}), under
     * {@code applicationName} (the name {@code synchronous_standby_names} lists).
     */
    public Connection connectPhysical(NodeConfig node, String applicationName) {
        Properties extra = new Properties();
        extra.setProperty("ApplicationName", applicationName);
        extra.setProperty("replication", "true");
        extra.setProperty("assumeMinServerVersion", "10");
        extra.setProperty("preferQueryMode", "simple");
        Server server = Server.of(node);
        return open(List.of(server), hostForUrl(node.host()) + ":" + node.port(), properties(server, extra), true);
    }

    /**
     * A server to connect to, as messages name it.
     *
     * @param name     "node pg1", "the target of logical stream s"
     * @param settings where its role and TLS are configured ("connection", "logical[0].target")
     */
    public record Server(String name, String host, int port, String settings) {
        static Server of(NodeConfig node) {
            return new Server("node " + node.name(), node.host(), node.port(), "connection");
        }
    }

    /**
     * A connection to {@code server} with this connector's settings; {@code extra} are pgjdbc properties of the caller's
     * (never user, password or TLS).
     */
    public Connection connect(Server server, boolean replication, Properties extra) {
        Properties p = properties(server, extra);
        if (replication) {
            p.setProperty("replication", "database");
            p.setProperty("assumeMinServerVersion", "10");
            p.setProperty("preferQueryMode", "simple");
        }
        return open(List.of(server), hostForUrl(server.host()) + ":" + server.port(), p, replication);
    }

    private Properties properties(Server server, Properties extra) {
        ConnectionConfig.Tls tls = config.tlsFor(server.host());
        tls.weakness(server.settings()).filter(WARNED::add).ifPresent(w -> LOG.warn("{}: {}", server.name(), w));
        if (tls.sslMode().startsWith("verify-") && config.sslRootCert().isEmpty() && !Files.exists(DEFAULT_ROOT_CERT)) {
            throw WalferryException.config(server.name() + " at " + server.host() + " is not on loopback, so walferry checks its TLS "
                    + "certificate (sslmode verify-full unless set), and no CA is configured",
                    "set " + server.settings() + ".sslrootcert to the CA that signed the servers' certificates (or set "
                            + server.settings() + ".sslmode; see docs/security.md)");
        }
        Properties p = new Properties();
        p.putAll(extra);
        p.setProperty("user", config.user());
        config.password().ifPresent(s -> p.setProperty("password", s.reveal()));
        p.setProperty("sslmode", tls.sslMode());
        p.setProperty("channelBinding", tls.channelBinding());
        config.sslRootCert().ifPresent(c -> p.setProperty("sslrootcert", c.toString()));
        config.sslCert().ifPresent(c -> p.setProperty("sslcert", c.toString()));
        config.sslKey().ifPresent(c -> p.setProperty("sslkey", c.toString()));
        p.setProperty("connectTimeout", String.valueOf(Math.max(1, config.connectTimeout().toSeconds())));
        p.putIfAbsent("ApplicationName", "walferry");
        return p;
    }

    private Connection open(List<Server> servers, String hosts, Properties p, boolean replication) {
        String url = "jdbc:postgresql://" + hosts + "/" + config.database();
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            Server server = servers.get(0);
            String where = servers.size() == 1
                    ? "cannot connect to " + server.name() + " at " + server.host() + ":" + server.port() + " as " + config.user() + ": "
                    : "cannot connect to a primary among " + String.join(", ", servers.stream().map(Server::name).toList())
                    + " as " + config.user() + ": ";
            if (anyCause(e, UnknownHostException.class::isInstance)) {
                throw WalferryException.postgres(where + "host name " + server.host() + " did not resolve",
                        "check the host of " + server.name() + " in the configuration, and this machine's DNS", e);
            }
            if (authenticationFailed(e)) {
                throw WalferryException.postgres(where + "authentication failed for role " + config.user()
                        + (INVALID_PASSWORD.equals(e.getSQLState()) ? "" : " (" + serverMessage(e) + ")"),
                        "check " + server.settings() + ".password (or the passfile) and the method pg_hba.conf of " + server.name()
                                + " gives this role" + (replication ? " for replication connections" : ""), e);
            }
            throw WalferryException.postgres(where + firstLine(e.getMessage()),
                    "check that PostgreSQL runs there and that pg_hba.conf admits this host and role", e);
        }
    }

    /** The server refused walferry's role: a wrong password (28P01), or no pg_hba.conf line or method that admits it (28000). */
    public static boolean authenticationFailed(Throwable e) {
        return anyCause(e, t -> t instanceof SQLException s
                && (INVALID_PASSWORD.equals(s.getSQLState()) || INVALID_AUTHORIZATION.equals(s.getSQLState())));
    }

    private static boolean anyCause(Throwable e, Predicate<Throwable> test) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (test.test(t)) {
                return true;
            }
        }
        return false;
    }

    private static String serverMessage(SQLException e) {
        return firstLine(e.getMessage()).replaceFirst("^FATAL: ", "");
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
