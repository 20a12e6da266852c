package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.Sql;
import io.walferry.postgres.logical.ApplyOrder.Queued;
import io.walferry.postgres.logical.ApplyOrder.Run;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A target session that applies changes inside one transaction that ends with the stream's new position
 * ({@link StreamState#advance}). The source lets the changes go once told, so only durable commits may be confirmed:
 * either each commit waits for the disk (synchronous_commit on), or, asynchronous, commits do not wait and a commit
 * counts once the target's WAL is flushed past it ({@link DurableCommits}): a crash of the target that loses it loses
 * its stored position with it, and the stream resumes from the position that survived. Changes queue up and go to the server in runs of one statement shape ({@link ApplyOrder}):
 * each shape is a prepared statement, and a run is one batch of bound values, one round trip (or, for many inserts, one
 * COPY; for many updates of distinct rows by their key, one statement over arrays of their values: {@link ChangeSql.Shape}). A sender thread of its
 * own executes what was queued (and then the commit) while the stream's next changes are decoded: it holds at most
 * {@link #DEPTH} batches and executes them in the order given, so the order stays the stream's; a rollback waits for
 * them all; a failure comes back at the latest with the commit after the next, and nothing handed after it is sent.
 */
public final class TargetApply implements AutoCloseable {
    /** Changes, or bytes of their values, sent at once, at most. */
    private static final int BATCH = 20_000;
    private static final long BATCH_BYTES = 8L << 20;
    /**
     * Batches handed to the sender at most: while it executes one, the next waits ready, and the stream's thread goes on
     * reading and decoding (so the source's walsender does not stall) instead of waiting for the first.
     */
    private static final int DEPTH = 2;
    /** Updates or inserts of one shape that go as one statement where they can ({@link Run#asOneUpdate}, {@link Run#asCopy}), at least. */
    private static final int SET_ROWS = 8;
    /** How often, at most, the target's flush position is asked for while a commit is not known durable. */
    private static final java.time.Duration FLUSH_POLL = java.time.Duration.ofMillis(10);
    /** A commit not known durable for this long, with nothing to send, is made durable by a synchronous commit. */
    private static final java.time.Duration FORCE_FLUSH = java.time.Duration.ofMillis(50);

    private final Connection connection;
    private final Set<QualifiedName> linked;
    /** Per table, the columns a unique index or exclusion constraint checks. */
    private final Map<QualifiedName, Set<String>> uniquenessColumns;
    /** Tables whose inserts go as INSERT statements, not COPY ({@link TargetCatalog#tablesNotForCopy}). */
    private final Set<QualifiedName> notForCopy;
    /** Statement shapes, built once per relation and kind of change (used by the stream's thread only). */
    private final ChangeSql sql = new ChangeSql();
    /** Per relation description: whether its updates may replace each other ({@link #replaceableKey}). */
    private final Map<AppliedRelation, Boolean> replaceable = new java.util.IdentityHashMap<>();
    private List<Queued> queued = new ArrayList<>();
    private long queuedBytes;
    /** The prepared statement of each shape this session has met (used by the sender only). */
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** Sends one batch at a time, in order. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "walferry-apply-sender");
        t.setDaemon(true);
        return t;
    });
    /** What was handed to the sender and is not known done, oldest first: at most {@link #DEPTH} batches. */
    private final java.util.Deque<Future<Void>> inFlight = new java.util.ArrayDeque<>();
    /** A task of the sender failed: those handed after it do nothing (the transaction is lost anyway). */
    private volatile boolean senderFailed;
    /** The commits done, and which of them are durable. */
    private final DurableCommits durable = new DurableCommits();
    private final String stream;
    private final boolean asynchronous;
    /** When the target's flush position was last asked for (on the stream's thread). */
    private long flushAsked;
    /** Changes of the open group were handed to the sender: its transaction holds them until the group's commit. */
    private boolean groupSent;

    /**
     * @param asynchronous commit with synchronous_commit off, and count a commit once the target's WAL is flushed past it
     */
    public TargetApply(Connection connection, String stream, boolean asynchronous) throws SQLException {
        this.connection = connection;
        this.stream = stream;
        this.asynchronous = asynchronous;
        Sql.run(connection, asynchronous ? "set synchronous_commit = off" : "set synchronous_commit = on");
        connection.setAutoCommit(false);
        this.linked = TargetCatalog.foreignKeyTables(connection);
        this.uniquenessColumns = TargetCatalog.uniquenessColumns(connection);
        this.notForCopy = TargetCatalog.tablesNotForCopy(connection);
        connection.commit();
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

    /** The stream's position on the target was not where this session left it: someone else applies the stream. */
    public static final class PositionMoved extends SQLException {
        PositionMoved(String stream) {
            super("the position of logical stream " + stream + " on the target moved while this process applied it");
        }
    }

    public void insert(AppliedRelation r, PgOutputMessage.TupleData row) throws SQLException {
        add(new Queued(sql.insert(r, row), false, false));
    }

    public void update(AppliedRelation r, Optional<PgOutputMessage.OldRow> old, PgOutputMessage.TupleData row) throws SQLException {
        add(new Queued(sql.update(r, old, row), true, false, replaceableKey(r, old, row)));
    }

    /**
     * The row's key values when a later update of the row may replace this one ({@link ApplyOrder}): the key stays, the
     * table is in no foreign key, and no unique index or exclusion constraint checks a column it sets. Else null.
     */
    private ApplyOrder.RowKey replaceableKey(AppliedRelation r, Optional<PgOutputMessage.OldRow> old, PgOutputMessage.TupleData row) {
        if (old.isPresent() || !replaceable.computeIfAbsent(r, this::replaceable)) {
            return null;
        }
        List<byte[]> key = new ArrayList<>(2);
        for (int i = 0; i < r.columns().size(); i++) {
            if (r.columns().get(i).key()) {
                PgOutputMessage.Value v = row.values().get(i);
                if (v.kind() == PgOutputMessage.Kind.UNCHANGED_TOAST) {
                    return null;
                }
                key.add(v.data());
            }
        }
        return ApplyOrder.RowKey.of(key);
    }

    /** Whether updates of the relation that keep their key may replace each other: see {@link #replaceableKey}. */
    private boolean replaceable(AppliedRelation r) {
        if (r.fullIdentity() || linked.contains(r.table())) {
            return false;
        }
        Set<String> keyNames = new java.util.HashSet<>();
        for (AppliedRelation.AppliedColumn c : r.columns()) {
            if (c.key()) {
                keyNames.add(c.name());
            }
        }
        return !keyNames.isEmpty() && keyNames.containsAll(uniquenessColumns.getOrDefault(r.table(), Set.of()));
    }

    public void delete(AppliedRelation r, PgOutputMessage.OldRow old) throws SQLException {
        add(new Queued(sql.delete(r, old), true, false));
    }

    public void truncate(List<AppliedRelation> relations, boolean restartIdentity) throws SQLException {
        add(new Queued(sql.truncate(relations, restartIdentity), false, true));
    }

    private void add(Queued q) throws SQLException {
        queued.add(q);
        queuedBytes += q.change().bytes();
        if (queued.size() >= BATCH || queuedBytes >= BATCH_BYTES) {
            send(Optional.empty());
        }
    }

    /** What a commit does after the queued changes: move the position and commit. */
    private record Commit(String stream, Lsn previous, Lsn applied, Instant commitTime, long transactions, long rows, double rowsPerSecond,
                          double transactionsPerSecond) {
    }

    /** Hands what is queued (and the commit, if any) to the sender, once it holds fewer than {@link #DEPTH} batches. */
    private void send(Optional<Commit> commit) throws SQLException {
        hand(commit.map(c -> (Ending) () -> commitWithPosition(c)));
    }

    /** What ends a group on the sender, after its changes: it commits the target's transaction. */
    private interface Ending {
        void run() throws SQLException;
    }

    private void hand(Optional<Ending> ending) throws SQLException {
        if (queued.isEmpty() && ending.isEmpty()) {
            return;
        }
        while (inFlight.size() >= DEPTH) {
            awaitOldest();
        }
        List<Run> runs = ApplyOrder.runs(queued, linked);
        queued = new ArrayList<>();
        queuedBytes = 0;
        groupSent = ending.isEmpty();
        submit(() -> {
            for (Run run : runs) {
                execute(run);
            }
            if (ending.isPresent()) {
                ending.get().run();
            }
            return null;
        });
    }

    /** On the sender: moves the stream's position, commits, and notes when the commit is durable. */
    private void commitWithPosition(Commit c) throws SQLException {
        if (!StreamState.advance(connection, c.stream(), c.previous(), c.applied(), c.commitTime(), c.transactions(), c.rows(),
                c.rowsPerSecond(), c.transactionsPerSecond())) {
            connection.rollback();
            throw new PositionMoved(c.stream());
        }
        connection.commit();
        if (asynchronous) {
            WalPositions w = walPositions();
            durable.committed(c.applied(), w.insert(), System.nanoTime());
            durable.flushed(w.flush());
        } else {
            durable.committedDurably(c.applied());
        }
    }

    /**
     * Parallel apply: sends what is queued, then inserts the ends of the group's source transactions into the stream's
     * applied set ({@link AppliedSet}) and commits, all on the sender; {@code committed} runs there once the commit is
     * done. The stream's position is left alone (whoever moves it makes these commits durable first).
     */
    public void commitApplied(String stream, List<Lsn> ends, Runnable committed) throws SQLException {
        List<Lsn> copy = List.copyOf(ends);
        hand(Optional.of(() -> {
            AppliedSet.insert(connection, stream, copy);
            connection.commit();
            committed.run();
        }));
    }

    /** The target's WAL insert and flush positions. */
    private record WalPositions(Lsn insert, Lsn flush) {
    }

    /**
     * On the sender, between transactions: the WAL positions now (the insert position after a commit is at or past its
     * record's end). Its own transaction ends here, so the session does not sit idle in one until the next group.
     */
    private WalPositions walPositions() throws SQLException {
        try (Statement s = connection.createStatement();
             java.sql.ResultSet r = s.executeQuery("select pg_current_wal_insert_lsn()::text, pg_current_wal_flush_lsn()::text")) {
            r.next();
            WalPositions w = new WalPositions(Lsn.parse(r.getString(1)), Lsn.parse(r.getString(2)));
            connection.commit();
            return w;
        }
    }

    /**
     * On the sender, between transactions: makes every commit so far durable with one small synchronous commit (of the
     * stream's row), which flushes the target's WAL up to it.
     */
    private void forceFlush() throws SQLException {
        Sql.run(connection, "set local synchronous_commit = on");
        StreamState.touch(connection, stream);
        connection.commit();
        durable.allFlushed();
    }

    /** On the sender: the run's changes, one round trip; an update or delete that matched no row is a {@link RowNotFound}. */
    private void execute(Run run) throws SQLException {
        if (run.asOneUpdate(SET_ROWS)) {
            executeAsOneUpdate(run);
        } else if (run.asCopy(SET_ROWS) && !notForCopy.contains(run.shape().relation().table())) {
            byte[] rows = CopyText.rows(run.statements());
            org.postgresql.copy.CopyIn copy = connection.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyIn(run.shape().copySql().orElseThrow());
            try {
                copy.writeToCopy(rows, 0, rows.length);
                copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
        } else {
            executeEach(run);
        }
    }

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement p = statements.get(sql);
        if (p == null) {
            p = connection.prepareStatement(sql);
            p.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
            statements.put(sql, p);
        }
        return p;
    }

    /**
     * On the sender: updates of distinct rows as one statement. Where not every one found its row, they go again one by
     * one (an update sets absolute values: doing it twice in the transaction changes nothing), which names the first
     * that finds none.
     */
    private void executeAsOneUpdate(Run run) throws SQLException {
        PreparedStatement p = prepared(run.shape().setSql().orElseThrow());
        List<ChangeSql.Change> changes = run.statements();
        List<String> arrays = ChangeSql.setUpdate(run.shape(), changes);
        for (int i = 0; i < arrays.size(); i++) {
            p.setObject(i + 1, arrays.get(i), Types.OTHER);
        }
        if (p.executeUpdate() != changes.size()) {
            executeEach(run);
        }
    }

    private void executeEach(Run run) throws SQLException {
        PreparedStatement p = prepared(run.shape().sql());
        for (Queued q : run.changes()) {
            ChangeSql.Change change = q.change();
            for (int i = 0; i < change.size(); i++) {
                // untyped: the shape's cast gives each its type
                String value = change.value(i);
                if (value == null) {
                    p.setNull(i + 1, Types.OTHER);
                } else {
                    p.setObject(i + 1, value, Types.OTHER);
                }
            }
            p.addBatch();
        }
        int[] counts;
        try {
            counts = p.executeBatch();
        } catch (BatchUpdateException e) {
            throw e.getNextException() != null ? e.getNextException() : e;
        } finally {
            p.clearBatch();
        }
        for (int i = 0; i < counts.length; i++) {
            if (run.changes().get(i).mustMatch() && counts[i] == 0) {
                String statement = run.changes().get(i).change().inline();
                throw new RowNotFound(statement.length() > 300 ? statement.substring(0, 300) + "..." : statement);
            }
        }
    }

    /** Hands a task to the sender, after the others; it does nothing once one before it failed. */
    private void submit(java.util.concurrent.Callable<Void> task) {
        inFlight.addLast(sender.submit(() -> {
            if (senderFailed) {
                throw new SQLException("not sent: what was sent before it failed");
            }
            try {
                return task.call();
            } catch (Exception | Error e) {
                senderFailed = true;
                throw e;
            }
        }));
    }

    /** Waits for everything the sender was handed; the first failure is this session's. */
    private void awaitInFlight() throws SQLException {
        while (!inFlight.isEmpty()) {
            awaitOldest();
        }
    }

    /** Waits for the oldest task handed to the sender; its failure is this session's. */
    private void awaitOldest() throws SQLException {
        Future<Void> f = inFlight.pollFirst();
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (ExecutionException e) {
            queued.clear();
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while the target applied changes", e);
        }
    }

    /**
     * Sends what is queued, then moves the stream's position from {@code previous} to {@code applied} and commits, all
     * on the sender: this returns at once, and {@link #committed} tells when the commit is done. The commit fails (and
     * the session with it) with {@link PositionMoved} when the position was not {@code previous}.
     */
    public void commit(String stream, Lsn previous, Lsn applied, Instant commitTime, long transactions, long rows, double rowsPerSecond,
                       double transactionsPerSecond) throws SQLException {
        send(Optional.of(new Commit(stream, previous, applied, commitTime, transactions, rows, rowsPerSecond, transactionsPerSecond)));
    }

    /**
     * The source position of the last commit that is durable on the target, if any; a commit that failed throws here.
     * Does not wait. With asynchronous commits, while the sender has nothing to do and a commit is not known durable,
     * it asks the target's flush position now and then, and once such a commit has waited {@link #FORCE_FLUSH} with
     * nothing else to send (the stream is quiet), it makes it durable with a synchronous commit.
     */
    public Optional<Lsn> committed() throws SQLException {
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
            awaitOldest();
        }
        long now = System.nanoTime();
        // each check ends a transaction: not while the open group's changes are in it
        if (inFlight.isEmpty() && !groupSent && durable.pending() && now - flushAsked >= FLUSH_POLL.toNanos()) {
            flushAsked = now;
            boolean force = queued.isEmpty() && now - durable.oldestPendingNanos().orElse(now) >= FORCE_FLUSH.toNanos();
            submit(() -> {
                if (force) {
                    forceFlush();
                } else {
                    durable.flushed(walPositions().flush());
                }
                return null;
            });
        }
        return durable.durable();
    }

    /** Waits until what was handed to the sender is done; the position of the last durable commit, if any. */
    public Optional<Lsn> awaitCommitted() throws SQLException {
        awaitInFlight();
        return durable.durable();
    }

    /**
     * Waits until what was handed to the sender is done and, unless a group is open, every commit is durable; the
     * position of the last durable one.
     */
    public Optional<Lsn> awaitDurable() throws SQLException {
        awaitInFlight();
        if (durable.pending() && !groupSent && queued.isEmpty()) {
            submit(() -> {
                forceFlush();
                return null;
            });
            awaitInFlight();
        }
        return durable.durable();
    }

    /** Nothing is queued or on its way to the server, and every commit is durable. */
    public boolean idle() throws SQLException {
        committed();
        return inFlight.isEmpty() && queued.isEmpty() && !durable.pending();
    }

    public void rollback() throws SQLException {
        while (!inFlight.isEmpty()) {
            try {
                awaitOldest();
            } catch (SQLException | RuntimeException e) {
                // rolled back anyway
            }
        }
        senderFailed = false;
        queued.clear();
        queuedBytes = 0;
        groupSent = false;
        connection.rollback();
    }

    @Override
    public void close() throws SQLException {
        sender.shutdownNow();
        connection.close();
    }
}
