package io.walferry.router;

import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.RoleSecrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@code router.auth_query}: looks a user's SCRAM verifier up on a server, as PgBouncer's auth_query does, on a thread of
 * its own (the event loop never waits for a server), one lookup at a time over one kept connection. What it finds is
 * never logged.
 */
final class UserLookup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UserLookup.class);

    /** The outcome of one lookup: the user's secret, or none (no such user, no usable verifier), or a failure. */
    record Result(Optional<UserSecret> secret, Optional<String> failure, String why) {
        static Result failed(String why) {
            return new Result(Optional.empty(), Optional.of(why), why);
        }
    }

    private static final java.time.Duration QUERY_TIMEOUT = java.time.Duration.ofSeconds(10);

    private final RouterConfig.AuthQuery settings;
    private final PgConnector connector;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "router-auth-query");
        t.setDaemon(true);
        return t;
    });
    private Connection connection;
    private String connectedTo;

    UserLookup(RouterConfig.AuthQuery settings, ConnectionConfig connection) {
        this.settings = settings;
        this.connector = new PgConnector(connection.withLogin(settings.user(), settings.password(),
                settings.database().orElse(connection.database())));
    }

    /** Looks {@code user} up on {@code node}; {@code then} hears the result on the lookup's thread. */
    void lookup(NodeConfig node, String user, Consumer<Result> then) {
        thread.execute(() -> then.accept(run(node, user)));
    }

    private Result run(NodeConfig node, String user) {
        try {
            if (connection == null || !node.name().equals(connectedTo) || !connection.isValid(5)) {
                closeConnection();
                connection = connector.connect(node);
                connectedTo = node.name();
                connection.setNetworkTimeout(thread, (int) QUERY_TIMEOUT.toMillis()); // a hung server fails the lookup, not the thread
            }
            Optional<String> stored = RoleSecrets.lookup(connection, settings.query().orElse(RoleSecrets.DEFAULT_QUERY), user);
            if (stored.isEmpty()) {
                return new Result(Optional.empty(), Optional.empty(), "auth_query found no such user (or none with a password)");
            }
            return UserSecret.Scram.parse(stored.get())
                    .map(s -> new Result(Optional.of(new UserSecret(user, Optional.empty(), s)), Optional.empty(), "found by auth_query"))
                    .orElseGet(() -> new Result(Optional.empty(), Optional.empty(), "auth_query found a password that is not a "
                            + "SCRAM-SHA-256 verifier (set it again with password_encryption = scram-sha-256)"));
        } catch (SQLException | RuntimeException e) {
            closeConnection();
            return Result.failed("auth_query on node " + node.name() + " failed: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("router: closing the auth_query connection: {}", e.getMessage());
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        thread.execute(this::closeConnection);
        thread.shutdown();
    }
}
