package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.AppliedSet;
import io.walferry.postgres.logical.ChangeStream;
import io.walferry.postgres.logical.PgOutputDecoder;
import io.walferry.postgres.logical.PgOutputMessage;
import io.walferry.postgres.logical.SyncedTables;
import io.walferry.postgres.logical.TargetApply;
import io.walferry.postgres.logical.TargetCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One session of a stream applied by several target sessions (lanes, {@code apply_sessions}). The stream's thread
 * decodes, holds each source transaction until its commit, computes its keys ({@link TransactionKeys}) and hands it to a
 * lane ({@link LaneChoice}). Each lane applies its transactions in groups, one target transaction each, which also
 * inserts their ends into the applied set ({@link AppliedSet}). The position P moves (a synchronous commit on the
 * control session, which also deletes the set's rows up to it) to the end of the longest prefix of transactions that
 * have committed ({@link AppliedLedger}); only P is confirmed to the slot. A failure of any lane ends them all: the
 * next session resumes from P and skips what the set holds.
 */
final class ParallelSession {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelSession.class);
    private static final Duration IDLE_PAUSE = Duration.ofMillis(5);
    private static final Duration GROUP_PAUSE = Duration.ofMillis(1);
    /** How often, at most, P moves while transactions are applied (each move is a synchronous commit). */
    private static final Duration MOVE_INTERVAL = Duration.ofMillis(50);
    /**
     * A source transaction with more changes than this is not held until its commit: once every lane has committed what
     * it holds, it is applied in the first lane as it arrives, alone, and commits alone.
     */
    static final int LARGE = 100_000;

    private final LogicalStreamConfig stream;
    private final Connection control;
    private ChangeStream changes;
    private final AtomicBoolean stop;
    private final Runnable heartbeat;
    private final AppliedLedger ledger;
    private final TransactionKeys keys;
    private final List<Lane> lanes = new ArrayList<>();
    private final Map<Integer, AppliedRelation> relations = new HashMap<>();
    private final Map<Integer, QualifiedName> types = new HashMap<>();
    /** Relations that sync-schema copied: their changes the copy holds are skipped. */
    private final CopiedRelations copied = new CopiedRelations();
    private final ApplyRate rate = new ApplyRate(System.nanoTime());
    /** The source transaction being received: its changes, held until its commit; null between transactions. */
    private List<SourceChange> transaction;
    /** The transaction being received ends at or before P: it is not held. */
    private boolean skipping;
    /** The lane a large transaction goes to as it arrives, alone ({@link #LARGE}); null otherwise. */
    private Lane alone;
    private long aloneRows;
    private long lastMove;
    private boolean progressed;

    /**
     * @param control a target session of its own (autocommit off): the catalog, the applied set, and P
     * @param applied the applied set as read from the target, with {@code from} its position P
     */
    ParallelSession(LogicalStreamConfig stream, Connection control, AtomicBoolean stop, Runnable heartbeat, Lsn from, Set<Lsn> applied)
            throws SQLException {
        this.stream = stream;
        this.control = control;
        this.stop = stop;
        this.heartbeat = heartbeat;
        this.ledger = new AppliedLedger(from, applied);
        AppliedSet.ensureTable(control);
        this.keys = new TransactionKeys(TargetCatalog.foreignKeyTables(control), TargetCatalog.uniquenessColumns(control));
        control.commit();
    }

    /** Opens a lane's target session. */
    interface LaneOpener {
        TargetApply open() throws SQLException;
    }

    /** Applies until stop (then everything handed out commits and P moves to it) or a failure (thrown); true if it made progress. */
    boolean run(ChangeStream changes, int sessions, LaneOpener opener) throws SQLException {
        this.changes = changes;
        try {
            for (int i = 0; i < sessions; i++) {
                lanes.add(new Lane(opener.open()));
            }
            LOG.info("stream {}: applying from {} with {} target sessions", stream.name(), ledger.position(), sessions);
            apply();
            // stopped: a transaction half received is dropped; what the lanes hold commits; P moves past it
            if (alone != null) {
                alone.target.rollback();
            }
            for (Lane lane : lanes) {
                lane.commitOpen();
                lane.target.awaitCommitted();
            }
            movePosition();
            return progressed;
        } finally {
            for (Lane lane : lanes) {
                try {
                    lane.target.close();
                } catch (SQLException e) {
                    LOG.debug("stream {}: closing a target session: {}", stream.name(), e.getMessage());
                }
            }
        }
    }

    private void apply() throws SQLException {
        long lastReceived = System.nanoTime();
        while (!stop.get()) {
            Optional<ByteBuffer> message = changes.poll();
            long now = System.nanoTime();
            if (message.isPresent()) {
                lastReceived = now;
                accept(PgOutputDecoder.decode(message.get()));
                continue;
            }
            housekeeping(now - lastReceived);
            if (transaction == null && !skipping && ledger.settled() && lanesIdle()) {
                // everything received is applied, committed and under P: the slot may let go of what the server sent
                Lsn received = changes.received();
                if (received.compareTo(changes.confirmed()) > 0) {
                    changes.confirm(received);
                    progressed = true;
                }
                if (now - lastReceived > StreamRunner.HEARTBEAT.toNanos()) {
                    heartbeat.run();
                    lastReceived = System.nanoTime();
                }
            }
            sleep(ledger.settled() && transaction == null ? IDLE_PAUSE : GROUP_PAUSE);
        }
    }

    /** Failures of the lanes come out here; groups that are due commit; P moves when it can and it is time. */
    private void housekeeping(long quietNanos) throws SQLException {
        long now = System.nanoTime();
        for (Lane lane : lanes) {
            lane.target.committed();
            lane.prune();
            if (GroupPolicy.DEFAULT.commitNow(false, lane.ends.size(), lane.rows, now - lane.started, quietNanos)) {
                lane.commitOpen();
            }
        }
        if (now - lastMove >= MOVE_INTERVAL.toNanos() || ledger.settled()) {
            movePosition();
        }
    }

    private boolean lanesIdle() throws SQLException {
        for (Lane lane : lanes) {
            if (!lane.ends.isEmpty() || !lane.committing.isEmpty() || !lane.target.idle()) {
                return false;
            }
        }
        return true;
    }

    /** P moves to the end of the committed prefix (durably), and is confirmed to the slot. */
    private void movePosition() throws SQLException {
        lastMove = System.nanoTime();
        Optional<AppliedLedger.Move> move = ledger.movable();
        if (move.isEmpty()) {
            return;
        }
        AppliedLedger.Move m = move.get();
        long now = System.nanoTime();
        rate.add(now, m.rows(), m.transactions());
        AppliedSet.move(control, stream.name(), ledger.position(), m.to(), m.commitTime(), m.transactions(), m.rows(),
                rate.rowsPerSecond(now), rate.transactionsPerSecond(now));
        ledger.moved(m);
        changes.confirm(m.to());
        progressed = true;
    }

    private void accept(PgOutputMessage m) throws SQLException {
        switch (m) {
            case PgOutputMessage.Begin b -> {
                if (transaction != null || skipping) {
                    throw new IllegalStateException("a transaction began inside another");
                }
                // one that ends at or before P commits before it: skipped whole without holding it
                skipping = b.finalLsn().compareTo(ledger.position()) < 0;
                copied.begin(b.finalLsn());
                transaction = skipping ? null : new ArrayList<>();
            }
            case PgOutputMessage.Commit c -> {
                if (transaction == null && !skipping) {
                    throw new IllegalStateException("a commit without a transaction");
                }
                List<SourceChange> held = transaction;
                transaction = null;
                if (skipping) {
                    skipping = false;
                } else if (alone != null) {
                    finishAlone(c.endLsn(), c.commitTime());
                } else if (ledger.applied(c.endLsn())) {
                    ledger.done(c.endLsn(), 0, c.commitTime());
                } else if (held.isEmpty()) {
                    ledger.done(c.endLsn(), 1, c.commitTime());
                } else {
                    dispatch(held, c.endLsn(), c.commitTime());
                }
                housekeeping(0);
            }
            case PgOutputMessage.Relation r -> {
                QualifiedName table = new QualifiedName(r.schema().isEmpty() ? "pg_catalog" : r.schema(), r.name());
                // first: a table being copied may not exist on the target yet
                Optional<Lsn> copiedAt = SchemaSync.copiedAt(stream.name(), table, SyncedTables.of(control, stream.name(), table));
                relations.put(r.oid(), RelationCheck.map(stream.name(), r, types, columns(table)));
                copied.relation(r.oid(), copiedAt);
            }
            case PgOutputMessage.Type t -> types.put(t.oid(), new QualifiedName(t.schema(), t.name()));
            case PgOutputMessage.Insert i -> {
                if (!copied.inCopy(i.relation())) {
                    hold(new SourceChange.Insert(relation(i.relation()), i.row()));
                }
            }
            case PgOutputMessage.Update u -> {
                if (!copied.inCopy(u.relation())) {
                    hold(new SourceChange.Update(relation(u.relation()), u.old(), u.row()));
                }
            }
            case PgOutputMessage.Delete d -> {
                if (!copied.inCopy(d.relation())) {
                    hold(new SourceChange.Delete(relation(d.relation()), d.old()));
                }
            }
            case PgOutputMessage.Truncate t -> {
                List<AppliedRelation> rs = new ArrayList<>();
                for (int oid : t.relations()) {
                    if (!copied.inCopy(oid)) {
                        rs.add(relation(oid));
                    }
                }
                if (!rs.isEmpty()) {
                    hold(new SourceChange.Truncate(rs, t.restartIdentity()));
                }
            }
            case PgOutputMessage.Origin o -> {
            }
            case PgOutputMessage.LogicalMessage lm -> {
            }
        }
    }


    private Optional<List<TargetCatalog.TargetColumn>> columns(QualifiedName table) throws SQLException {
        Optional<List<TargetCatalog.TargetColumn>> columns = Optional.ofNullable(TargetCatalog.columns(control, List.of(table)).get(table));
        control.commit();
        return columns;
    }

    private void hold(SourceChange change) throws SQLException {
        if (alone != null) {
            alone.apply(change);
            aloneRows++;
        } else if (transaction != null) {
            transaction.add(change);
            if (transaction.size() >= LARGE) {
                goAlone();
            }
        } else if (!skipping) {
            throw new IllegalStateException("a change outside a transaction");
        }
    }

    /** The transaction held is large: every lane commits what it holds, and the first one applies it from here on. */
    private void goAlone() throws SQLException {
        LOG.info("stream {}: a transaction of more than {} changes is applied alone", stream.name(), LARGE);
        for (Lane lane : lanes) {
            lane.commitOpen();
            lane.target.awaitCommitted();
            lane.prune();
        }
        alone = lanes.get(0);
        aloneRows = 0;
        for (SourceChange change : transaction) {
            alone.apply(change);
            aloneRows++;
        }
        transaction.clear();
    }

    /**
     * The large transaction's commit: it commits alone (nothing else is handed out meanwhile), unless the applied set
     * says it is on the target already (it ended after P and was applied before a restart): then it is rolled back.
     */
    private void finishAlone(Lsn end, Instant commitTime) throws SQLException {
        Lane lane = alone;
        alone = null;
        if (ledger.applied(end)) {
            lane.target.rollback();
            ledger.done(end, 0, commitTime);
            return;
        }
        ledger.dispatched(end, aloneRows, commitTime);
        lane.ends.add(end);
        lane.rows += aloneRows;
        lane.commitOpen();
        lane.target.awaitCommitted();
        lane.prune();
    }

    private AppliedRelation relation(int oid) {
        AppliedRelation r = relations.get(oid);
        if (r == null) {
            throw new IllegalStateException("a change of relation " + oid + " before its description");
        }
        return r;
    }

    /** Hands a whole transaction to a lane, once no more than one lane holds anything it overlaps. */
    private void dispatch(List<SourceChange> held, Lsn end, Instant commitTime) throws SQLException {
        KeySet keySet = keys.of(held);
        while (true) {
            List<LaneChoice.Lane> views = new ArrayList<>(lanes.size());
            for (Lane lane : lanes) {
                views.add(new LaneChoice.Lane(lane.overlaps(keySet), lane.load()));
            }
            switch (LaneChoice.choose(views)) {
                case LaneChoice.To to -> {
                    ledger.dispatched(end, held.size(), commitTime);
                    lanes.get(to.lane()).add(held, keySet, end);
                    return;
                }
                case LaneChoice.Drain drain -> {
                    // every lane commits what it holds first: none sits in an open transaction while the others are waited for
                    for (Lane lane : lanes) {
                        lane.commitOpen();
                    }
                    for (int i : drain.lanes()) {
                        Lane lane = lanes.get(i);
                        lane.commitOpen();
                        lane.target.awaitCommitted();
                        lane.prune();
                    }
                }
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            throw io.walferry.failure.WalferryException.interrupted("applying");
        }
    }

    /** A group handed to a lane's commit: its keys stay held until the commit is done. */
    private static final class Group {
        final KeySet.Builder keys;
        final List<Lsn> ends;
        volatile boolean done;

        Group(KeySet.Builder keys, List<Lsn> ends) {
            this.keys = keys;
            this.ends = ends;
        }
    }

    /** A target session and what it holds: the open group, and groups whose commit is not done yet. */
    private final class Lane {
        final TargetApply target;
        KeySet.Builder keys = new KeySet.Builder();
        List<Lsn> ends = new ArrayList<>();
        long rows;
        long started;
        final Deque<Group> committing = new ArrayDeque<>();

        Lane(TargetApply target) {
            this.target = target;
        }

        int load() {
            int n = ends.size();
            for (Group g : committing) {
                n += g.ends.size();
            }
            return n;
        }

        boolean overlaps(KeySet k) {
            if (keys.overlaps(k)) {
                return true;
            }
            for (Group g : committing) {
                if (g.keys.overlaps(k)) {
                    return true;
                }
            }
            return false;
        }

        void add(List<SourceChange> held, KeySet k, Lsn end) throws SQLException {
            if (ends.isEmpty()) {
                started = System.nanoTime();
            }
            for (SourceChange change : held) {
                apply(change);
            }
            keys.add(k);
            ends.add(end);
            rows += held.size();
        }

        void apply(SourceChange change) throws SQLException {
            switch (change) {
                case SourceChange.Insert i -> target.insert(i.relation(), i.row());
                case SourceChange.Update u -> target.update(u.relation(), u.old(), u.row());
                case SourceChange.Delete d -> target.delete(d.relation(), d.old());
                case SourceChange.Truncate t -> target.truncate(t.relations(), t.restartIdentity());
            }
        }

        void commitOpen() throws SQLException {
            if (ends.isEmpty()) {
                return;
            }
            Group g = new Group(keys, ends);
            committing.addLast(g);
            keys = new KeySet.Builder();
            ends = new ArrayList<>();
            rows = 0;
            target.commitApplied(stream.name(), g.ends, () -> {
                ledger.committed(g.ends);
                g.done = true;
            });
        }

        /** Forgets the keys of groups whose commit is done. */
        void prune() {
            while (!committing.isEmpty() && committing.peekFirst().done) {
                committing.removeFirst();
            }
        }
    }
}
