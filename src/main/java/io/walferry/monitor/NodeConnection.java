package io.walferry.monitor;

import io.walferry.config.NodeConfig;
import io.walferry.postgres.PgConnector;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One connection to a node, kept open between uses (a scrape must not pay for a connection, let alone one per metric) and
 * opened again after a failure. Not shared between threads: callers hold it one at a time.
 */
final class NodeConnection implements AutoCloseable {
    @FunctionalInterface
    interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    private final PgConnector pg;
    private final NodeConfig node;
    private Connection connection;

    NodeConnection(PgConnector pg, NodeConfig node) {
        this.pg = pg;
        this.node = node;
    }

    NodeConfig node() {
        return node;
    }

    /** Runs {@code query} on the open connection (opening it if needed); a failure closes it, and the next use opens another. */
    synchronized <T> T use(Query<T> query) throws SQLException {
        if (connection == null) {
            connection = pg.connect(node);
        }
        try {
            return query.run(connection);
        } catch (SQLException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // it is being dropped anyway
            }
            connection = null;
        }
    }
}
