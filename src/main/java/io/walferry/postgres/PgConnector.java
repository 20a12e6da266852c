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
        Properties p = properties(node);
        p.setProperty("loginTimeout", String.valueOf(Math.max(1, Math.min(login.toSeconds(), config.connectTimeout().toSeconds()))));
        return open(List.of(node), hostForUrl(node.host()) + ":" + node.port(), p);
    }

    /** A replication connection speaks the walsender protocol (for IDENTIFY_SYSTEM, slots, streams). */
    public Connection connect(NodeConfig node, boolean replication) {
        Properties p = properties(node);
        if (replication) {
            p.setProperty("replication", "database");
            p.setProperty("assumeMinServerVersion", "10");
            p.setProperty("preferQueryMode", "simple");
        }
        return open(List.of(node), hostForUrl(node.host()) + ":" + node.port(), p);
    }

    /**
     * A connection to whichever of the nodes is the primary now (pgjdbc tries them in order and keeps the one that is
     * not in recovery), as a client of an HA cluster connects. The nodes must need the same TLS settings.
     */
    public Connection connectPrimary(List<NodeConfig> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no nodes");
        }
        Properties p = properties(nodes.get(0));
        for (NodeConfig n : nodes) {
            ConnectionConfig.Tls tls = config.tlsFor(n.host());
            if (!tls.sslMode().equals(p.getProperty("sslmode")) || !tls.channelBinding().equals(p.getProperty("channelBinding"))) {
                throw WalferryException.config("nodes " + nodes.get(0).name() + " and " + n.name() + " need different TLS settings, "
                        + "so one connection cannot list both", "connect to each node on its own");
            }
        }
        p.setProperty("targetServerType", "primary");
        String hosts = String.join(",", nodes.stream().map(n -> hostForUrl(n.host()) + ":" + n.port()).toList());
        return open(nodes, hosts, p);
    }

    private Properties properties(NodeConfig node) {
        ConnectionConfig.Tls tls = config.tlsFor(node.host());
        tls.weakness().filter(WARNED::add).ifPresent(w -> LOG.warn("node {}: {}", node.name(), w));
        if (tls.sslMode().startsWith("verify-") && config.sslRootCert().isEmpty() && !Files.exists(DEFAULT_ROOT_CERT)) {
            throw WalferryException.config("node " + node.name() + " at " + node.host() + " is not on loopback, so walferry checks its TLS "
                    + "certificate (sslmode verify-full unless set), and no CA is configured",
                    "set connection.sslrootcert to the CA that signed the servers' certificates (or set connection.sslmode; see docs/security.md)");
        }
        Properties p = new Properties();
        p.setProperty("user", config.user());
        config.password().ifPresent(s -> p.setProperty("password", s.reveal()));
        p.setProperty("sslmode", tls.sslMode());
        p.setProperty("channelBinding", tls.channelBinding());
        config.sslRootCert().ifPresent(c -> p.setProperty("sslrootcert", c.toString()));
        config.sslCert().ifPresent(c -> p.setProperty("sslcert", c.toString()));
        config.sslKey().ifPresent(c -> p.setProperty("sslkey", c.toString()));
        p.setProperty("connectTimeout", String.valueOf(Math.max(1, config.connectTimeout().toSeconds())));
        p.setProperty("ApplicationName", "walferry");
        return p;
    }

    private Connection open(List<NodeConfig> nodes, String hosts, Properties p) {
        String url = "jdbc:postgresql://" + hosts + "/" + config.database();
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            NodeConfig node = nodes.get(0);
            String where = nodes.size() == 1
                    ? "cannot connect to node " + node.name() + " at " + node.host() + ":" + node.port() + " as " + config.user() + ": "
                    : "cannot connect to a primary among nodes " + String.join(", ", nodes.stream().map(NodeConfig::name).toList())
                    + " as " + config.user() + ": ";
            if (anyCause(e, UnknownHostException.class::isInstance)) {
                throw WalferryException.postgres(where + "host name " + node.host() + " did not resolve",
                        "check the host of node " + node.name() + " in the configuration, and this machine's DNS", e);
            }
            if (authenticationFailed(e)) {
                throw WalferryException.postgres(where + "authentication failed for role " + config.user()
                        + (INVALID_PASSWORD.equals(e.getSQLState()) ? "" : " (" + serverMessage(e) + ")"),
                        "check connection.password (or the passfile) and the method pg_hba.conf of " + node.name()
                                + " gives this role", e);
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
