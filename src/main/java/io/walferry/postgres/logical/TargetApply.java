package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.Sql;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A target session that applies changes: statements queue up and go to the server together (one round trip for many),
 * in the order they came, inside one transaction that ends with the stream's new position
 * ({@link StreamState#advance}); its commit waits for the disk (synchronous_commit on), since the source lets the
 * changes go once told.
 */
public final class TargetApply implements AutoCloseable {
    /** Statements sent at once, at most. */
    private static final int BATCH = 500;

    private final Connection connection;
    private final Statement batch;
    private final List<String> expectOne = new ArrayList<>();
    /** The statement shapes this session has prepared, by name; the target parses and plans each shape once. */
    private final Map<String, String> prepared = new HashMap<>();

    public TargetApply(Connection connection) throws SQLException {
        this.connection = connection;
        Sql.run(connection, "set synchronous_commit = on");
        Sql.run(connection, "set standard_conforming_strings = on");
        connection.setAutoCommit(false);
        this.batch = connection.createStatement();
    }

    /** The session itself, for the stream's state and the catalog (in the same transaction as the changes). */
    public Connection connection() {
        return connection;
    }

    /** A row that was not found: the target differs from the source. */
    public static final class RowNotFound extends SQLException {
        RowNotFound(String statement) {
            super("no row on the target matches " + statement);
        }
    }

    public void insert(AppliedRelation r, PgOutputMessage.TupleData row) throws SQLException {
        add(ChangeSql.insert(r, row), false);
    }

    public void update(AppliedRelation r, java.util.Optional<PgOutputMessage.OldRow> old, PgOutputMessage.TupleData row) throws SQLException {
        add(ChangeSql.update(r, old, row), true);
    }

    public void delete(AppliedRelation r, PgOutputMessage.OldRow old) throws SQLException {
        add(ChangeSql.delete(r, old), true);
    }

    public void truncate(List<AppliedRelation> relations, boolean restartIdentity) throws SQLException {
        add(ChangeSql.truncate(relations, restartIdentity), false);
    }

    /**
     * Queues a change as EXECUTE of its shape, PREPAREd in the same batch the first time (both are plain statements, so
     * the batch keeps its order and stays one round trip).
     */
    private void add(ChangeSql.Change change, boolean mustMatch) throws SQLException {
        if (change.literals().isEmpty()) {
            queue(change.shape(), null);
        } else {
            String name = prepared.get(change.shape());
            if (name == null) {
                name = "walferry_" + (prepared.size() + 1);
                queue("prepare " + name + "(" + String.join(", ", java.util.Collections.nCopies(change.literals().size(), "text")) + ") as "
                        + change.shape(), null);
                prepared.put(change.shape(), name);
            }
            queue("execute " + name + "(" + String.join(", ", change.literals()) + ")", mustMatch ? change : null);
        }
        if (expectOne.size() >= BATCH) {
            flush();
        }
    }

    private void queue(String sql, ChangeSql.Change mustMatch) throws SQLException {
        batch.addBatch(sql);
        expectOne.add(mustMatch == null ? null : mustMatch.inline());
    }

    /** Sends what is queued; an update or delete that matched no row is a {@link RowNotFound}. */
    public void flush() throws SQLException {
        if (expectOne.isEmpty()) {
            return;
        }
        int[] counts;
        try {
            counts = batch.executeBatch();
        } catch (BatchUpdateException e) {
            // what the failed batch prepared may not exist: the session is given up, but forget them anyway
            prepared.clear();
            throw e.getNextException() != null ? e.getNextException() : e;
        } finally {
            batch.clearBatch();
        }
        for (int i = 0; i < counts.length; i++) {
            if (expectOne.get(i) != null && counts[i] == 0) {
                String statement = expectOne.get(i);
                expectOne.clear();
                throw new RowNotFound(statement.length() > 300 ? statement.substring(0, 300) + "..." : statement);
            }
        }
        expectOne.clear();
    }

    /**
     * Flushes, moves the stream's position from {@code previous} to {@code applied} and commits. False (and rolled back)
     * when the position was not {@code previous}: someone else applies the stream.
     */
    public boolean commit(String stream, Lsn previous, Lsn applied, Instant commitTime, long transactions, long rows, double rowsPerSecond,
                          double transactionsPerSecond) throws SQLException {
        flush();
        if (!StreamState.advance(connection, stream, previous, applied, commitTime, transactions, rows, rowsPerSecond, transactionsPerSecond)) {
            connection.rollback();
            return false;
        }
        connection.commit();
        return true;
    }

    public void rollback() throws SQLException {
        batch.clearBatch();
        expectOne.clear();
        connection.rollback();
        // a PREPARE outlives the rollback of its transaction, one that was queued but not sent does not exist
        try (Statement s = connection.createStatement()) {
            s.execute("deallocate all");
        }
        prepared.clear();
    }

    @Override
    public void close() throws SQLException {
        try {
            batch.close();
        } finally {
            connection.close();
        }
    }
}
