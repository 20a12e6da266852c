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
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A target session that applies changes: statements queue up and go to the server together (one round trip for many),
 * in the order they came, inside one transaction that ends with the stream's new position
 * ({@link StreamState#advance}); its commit waits for the disk (synchronous_commit on), since the source lets the
 * changes go once told. A batch is sent by a thread of its own while the next one is built (the server executes one
 * batch while the stream's next changes are decoded); the next batch, the commit and a rollback wait for it first, so
 * the order stays the stream's and a failure comes back at the latest with the commit.
 */
public final class TargetApply implements AutoCloseable {
    /** Statements sent at once, at most. */
    private static final int BATCH = 500;

    private final Connection connection;
    private final Statement batch;
    private List<String> statements = new ArrayList<>();
    /** Of the queued statements, by index, the updates and deletes that must find their row. */
    private Map<Integer, ChangeSql.Change> mustMatch = new HashMap<>();
    /** Sends one batch at a time, in order. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "walferry-apply-sender");
        t.setDaemon(true);
        return t;
    });
    /** The batch (or commit) the server is executing, if any. */
    private Future<Void> inFlight;
    /** Set by the sender after each commit. */
    private volatile Lsn committed;
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
        if (statements.size() >= BATCH) {
            send();
        }
    }

    private void queue(String sql, ChangeSql.Change mustMatch) {
        if (mustMatch != null) {
            this.mustMatch.put(statements.size(), mustMatch);
        }
        statements.add(sql);
    }

    /** Hands what is queued to the sender, once the batch before it is done. */
    private void send() throws SQLException {
        awaitInFlight();
        if (statements.isEmpty()) {
            return;
        }
        List<String> sql = statements;
        Map<Integer, ChangeSql.Change> match = mustMatch;
        statements = new ArrayList<>();
        mustMatch = new HashMap<>();
        inFlight = sender.submit(() -> {
            execute(sql, match);
            return null;
        });
    }

    /** On the sender: one round trip for the batch; an update or delete that matched no row is a {@link RowNotFound}. */
    private void execute(List<String> sql, Map<Integer, ChangeSql.Change> mustMatch) throws SQLException {
        if (sql.isEmpty()) {
            return;
        }
        int[] counts;
        try {
            for (String s : sql) {
                batch.addBatch(s);
            }
            counts = batch.executeBatch();
        } catch (BatchUpdateException e) {
            throw e.getNextException() != null ? e.getNextException() : e;
        } finally {
            batch.clearBatch();
        }
        for (var m : new TreeMap<>(mustMatch).entrySet()) {
            if (counts[m.getKey()] == 0) {
                String statement = m.getValue().inline();
                throw new RowNotFound(statement.length() > 300 ? statement.substring(0, 300) + "..." : statement);
            }
        }
    }

    /** Waits for the batch the server executes; its failure is this session's. */
    private void awaitInFlight() throws SQLException {
        Future<Void> f = inFlight;
        if (f == null) {
            return;
        }
        inFlight = null;
        try {
            f.get();
        } catch (ExecutionException e) {
            // what the failed batch prepared may not exist: the session is given up, but forget them anyway
            prepared.clear();
            statements.clear();
            mustMatch.clear();
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while the target applied a batch", e);
        }
    }

    /** Sends what is queued and waits until the server has executed it all. */
    public void flush() throws SQLException {
        send();
        awaitInFlight();
    }

    /** The stream's position on the target was not where this session left it: someone else applies the stream. */
    public static final class PositionMoved extends SQLException {
        PositionMoved(String stream) {
            super("the position of logical stream " + stream + " on the target moved while this process applied it");
        }
    }

    /**
     * Sends what is queued, then moves the stream's position from {@code previous} to {@code applied} and commits, all
     * on the sender: this returns at once, and {@link #committed} tells when the commit is done. The commit fails (and
     * the session with it) with {@link PositionMoved} when the position was not {@code previous}.
     */
    public void commit(String stream, Lsn previous, Lsn applied, Instant commitTime, long transactions, long rows, double rowsPerSecond,
                       double transactionsPerSecond) throws SQLException {
        awaitInFlight();
        List<String> sql = statements;
        Map<Integer, ChangeSql.Change> match = mustMatch;
        statements = new ArrayList<>();
        mustMatch = new HashMap<>();
        inFlight = sender.submit(() -> {
            execute(sql, match);
            if (!StreamState.advance(connection, stream, previous, applied, commitTime, transactions, rows, rowsPerSecond, transactionsPerSecond)) {
                connection.rollback();
                throw new PositionMoved(stream);
            }
            connection.commit();
            committed = applied;
            return null;
        });
    }

    /**
     * The position of the last commit that is done (durable on the target), if any; a commit that failed throws here. Does
     * not wait.
     */
    public java.util.Optional<Lsn> committed() throws SQLException {
        if (inFlight != null && inFlight.isDone()) {
            awaitInFlight();
        }
        return java.util.Optional.ofNullable(committed);
    }

    /** Waits until what was handed to the sender is done; the position of the last commit, if any. */
    public java.util.Optional<Lsn> awaitCommitted() throws SQLException {
        awaitInFlight();
        return java.util.Optional.ofNullable(committed);
    }

    /** Nothing is queued or on its way to the server. */
    public boolean idle() throws SQLException {
        committed();
        return inFlight == null && statements.isEmpty();
    }

    public void rollback() throws SQLException {
        try {
            awaitInFlight();
        } catch (SQLException | RuntimeException e) {
            // rolled back anyway
        }
        statements.clear();
        mustMatch.clear();
        connection.rollback();
        // a PREPARE outlives the rollback of its transaction, one that was queued but not sent does not exist
        try (Statement s = connection.createStatement()) {
            s.execute("deallocate all");
        }
        prepared.clear();
    }

    @Override
    public void close() throws SQLException {
        sender.shutdownNow();
        try {
            batch.close();
        } finally {
            connection.close();
        }
    }
}
