package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.AppliedSet;
import io.walferry.postgres.logical.ChangeStream;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.PgOutputDecoder;
import io.walferry.postgres.logical.StreamState;
import io.walferry.postgres.logical.SyncedTables;
import io.walferry.postgres.logical.TargetApply;
import io.walferry.postgres.logical.TargetCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code walferry logical run}: applies a stream's changes to its target until stopped. Each session reads the applied
 * position from the target, streams the slot from there, applies whole source transactions in groups (one target
 * transaction each, with the position), and confirms a group's end to the slot only once the target's commit is durable.
 * A failure that passes (a server restarting or out of reach) ends the session, and the next one resumes from the
 * target's position after a pause: what was applied is there once, what was not comes again. Other failures stop the
 * stream with one line, also recorded on the target for status.
 */
public final class StreamRunner {
    private static final Logger LOG = LoggerFactory.getLogger(StreamRunner.class);
    private static final Duration STATUS_INTERVAL = Duration.ofSeconds(10);
    private static final Duration IDLE_PAUSE = Duration.ofMillis(5);
    /** The pause between polls while a group is open: the next message is likely on its way. */
    private static final Duration GROUP_PAUSE = Duration.ofMillis(1);
    /** With nothing received for this long, a heartbeat written on the source moves the slot's confirmed position on. */
    static final Duration HEARTBEAT = Duration.ofSeconds(10);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LAST_RETRY = Duration.ofSeconds(30);

    private final StreamServers servers;
    /** Who applies, as status shows it: "host pid N", and the agent's node when an agent runs the stream. */
    private final String applier;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** A session of this process has streamed the slot. */
    private volatile boolean streamed;

    public StreamRunner(StreamServers servers) {
        this(servers, Optional.empty());
    }

    /** {@code runBy}: who runs it, added to the applier status shows (e.g. "agent of node pg1"). */
    public StreamRunner(StreamServers servers, Optional<String> runBy) {
        servers.requireWalferryMode();
        this.servers = servers;
        this.applier = applierName() + runBy.map(r -> " (" + r + ")").orElse("");
    }

    /** Asks {@link #run} to return at the next message boundary (a shutdown hook calls it). */
    public void stop() {
        stop.set(true);
    }

    /** Applies until {@link #stop} (returns) or a failure that does not pass (throws). */
    public void run() {
        LogicalStreamConfig stream = servers.stream();
        Duration pause = FIRST_RETRY;
        while (!stop.get()) {
            try {
                if (session()) {
                    pause = FIRST_RETRY;
                }
            } catch (RuntimeException | SQLException e) {
                WalferryException failure = explain(stream, e);
                if (!stop.get()) {
                    recordError(failure);
                }
                if (!RunFailures.passing(e) || stop.get()) {
                    throw failure;
                }
                LOG.warn("stream {}: {}; resuming in {} s", stream.name(), failure.getMessage(), pause.toSeconds());
                sleep(pause);
                pause = pause.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : pause.multipliedBy(2);
            }
        }
    }

    /** One session, until stop or a failure; true if it applied or confirmed anything. */
    private boolean session() throws SQLException {
        LogicalStreamConfig stream = servers.stream();
        try (TargetApply target = openTarget(); ChangeStreamHolder holder = new ChangeStreamHolder()) {
            Connection tc = target.connection();
            StreamState state = StreamState.read(tc, stream.name()).orElseThrow(() -> WalferryException.refused("the target holds no "
                    + "logical stream " + stream.name(), "create it first: walferry logical create " + stream.name()));
            if (state.phase() == StreamState.Phase.CUT_OVER && streamed) {
                // walferry logical cutover ended the stream while this process applied it
                LOG.info("stream {}: cut over; stopping", stream.name());
                stop.set(true);
                return false;
            }
            if (state.phase() != StreamState.Phase.STREAMING) {
                throw WalferryException.refused("logical stream " + stream.name() + " is " + (state.phase() == StreamState.Phase.COPYING
                        ? "still being created (or its create stopped during the copy)" : "cut over"),
                        state.phase() == StreamState.Phase.COPYING ? "run walferry logical create " + stream.name() + " to completion"
                                : "nothing to apply any more");
            }
            Lsn from = state.appliedLsn().orElseThrow();
            requireSourceSlot(stream, from);
            StreamState.recordRunner(tc, stream.name(), Optional.of(applier + (stream.applySessions() > 1
                    ? ", " + stream.applySessions() + " target sessions" : "")), Optional.empty());
            tc.commit();
            Set<Lsn> appliedSet = AppliedSet.read(tc, stream.name());
            tc.commit();
            if (stream.applySessions() > 1 || !appliedSet.isEmpty()) {
                // parallel apply (or one lane, to finish what an earlier parallel session left in the applied set)
                ParallelSession parallel = new ParallelSession(stream, tc, stop, this::heartbeat, from, appliedSet);
                holder.stream = ChangeStream.start(servers.sourceReplication(), stream.slot(), stream.publication(), from, STATUS_INTERVAL, true);
                streamed = true;
                boolean progressed = parallel.run(holder.stream, stream.applySessions(), this::openTarget);
                recordStop(tc);
                return progressed;
            }
            ChangeApplier applier = new ChangeApplier(stream.name(), target, new ChangeApplier.TargetTables() {
                @Override
                public Optional<List<TargetCatalog.TargetColumn>> columns(QualifiedName table) throws SQLException {
                    // the session is the sender's while it executes a batch
                    target.awaitCommitted();
                    return Optional.ofNullable(TargetCatalog.columns(tc, List.of(table)).get(table));
                }

                @Override
                public Optional<Lsn> copiedAt(QualifiedName table) throws SQLException {
                    target.awaitCommitted();
                    return SchemaSync.copiedAt(stream.name(), table, SyncedTables.of(tc, stream.name(), table));
                }
            }, from);
            holder.stream = ChangeStream.start(servers.sourceReplication(), stream.slot(), stream.publication(), from, STATUS_INTERVAL, true);
            streamed = true;
            LOG.info("stream {}: applying from {}", stream.name(), from);
            ApplyRate rate = new ApplyRate(System.nanoTime());
            boolean progressed = false;
            long groupStart = 0;
            try {
                long lastReceived = System.nanoTime();
                while (!stop.get()) {
                    Optional<ByteBuffer> message = holder.stream.poll();
                    if (message.isPresent()) {
                        lastReceived = System.nanoTime();
                        if (applier.groupTransactions() == 0 && !applier.inTransaction()) {
                            groupStart = System.nanoTime();
                        }
                        applier.accept(PgOutputDecoder.decode(message.get()));
                        if (GroupPolicy.DEFAULT.commitNow(applier.inTransaction(), applier.groupTransactions(), applier.groupRows(),
                                System.nanoTime() - groupStart, 0)) {
                            commit(applier, target, holder.stream, rate);
                            progressed = true;
                        }
                        continue;
                    }
                    // a group's end is confirmed to the slot once its commit is done on the target
                    Optional<Lsn> committed = target.committed();
                    if (committed.isPresent()) {
                        holder.stream.confirm(committed.get());
                    }
                    long now = System.nanoTime();
                    if (GroupPolicy.DEFAULT.commitNow(applier.inTransaction(), applier.groupTransactions(), applier.groupRows(),
                            now - groupStart, now - lastReceived)) {
                        commit(applier, target, holder.stream, rate);
                        progressed = true;
                    } else if (!applier.inTransaction() && applier.groupTransactions() == 0 && target.idle()) {
                        // Everything received is applied and committed: nothing this stream needs lies before what the
                        // server has sent, so the slot may let that WAL go (an idle source retains none).
                        Lsn received = holder.stream.received();
                        if (received.compareTo(holder.stream.confirmed()) > 0) {
                            holder.stream.confirm(received);
                            progressed = true;
                        }
                        if (now - lastReceived > HEARTBEAT.toNanos()) {
                            heartbeat();
                            lastReceived = System.nanoTime();
                        }
                    }
                    sleep(applier.inTransaction() || applier.groupTransactions() > 0 ? GROUP_PAUSE : IDLE_PAUSE);
                }
            } finally {
                if (applier.groupTransactions() > 0 || applier.inTransaction()) {
                    applier.abandon();
                    target.rollback();
                }
            }
            // stopped: the last commit finishes, is made durable, and is confirmed
            Optional<Lsn> committed = target.awaitDurable();
            if (committed.isPresent()) {
                holder.stream.confirm(committed.get());
            }
            recordStop(tc);
            return progressed;
        }
    }

    private void recordStop(Connection tc) {
        try {
            StreamState.recordRunner(tc, servers.stream().name(), Optional.empty(), Optional.empty());
            tc.commit();
        } catch (SQLException e) {
            LOG.debug("stream {}: could not record the stop: {}", servers.stream().name(), e.getMessage());
        }
    }

    /**
     * The stream's slot must be on the source, usable, on a primary. A source that failed over (a promoted standby of
     * PostgreSQL 15 or 16 has no logical slots), a slot dropped or lost to max_slot_wal_keep_size: the changes after the
     * target's position are gone, and only a new copy brings the target back.
     */
    private void requireSourceSlot(LogicalStreamConfig stream, Lsn applied) throws SQLException {
        try (Connection c = servers.source()) {
            SourceCheck.Verdict v = SourceCheck.decide(stream.name(), stream.slot(), stream.source().label(), applied,
                    io.walferry.postgres.ServerInfo.inRecovery(c), LogicalSlots.read(c, stream.slot()));
            if (v.problem().isPresent()) {
                throw WalferryException.refused(v.problem().get(), v.fix().orElseThrow());
            }
            if (LogicalSlots.failover(c, stream.slot()).equals(Optional.of(false))) {
                makeFailoverSlot(stream);
            }
        }
    }

    /**
     * A slot made before the source ran PostgreSQL 17 (or by an earlier walferry) becomes a failover slot, so that
     * standbys that synchronize slots carry it and a failover does not end the stream.
     */
    private void makeFailoverSlot(LogicalStreamConfig stream) {
        try (Connection r = servers.sourceReplication()) {
            LogicalSlots.enableFailover(r, stream.slot());
            LOG.info("stream {}: slot {} is now a failover slot (synchronized to standbys with sync_replication_slots)", stream.name(),
                    stream.slot());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("stream {}: slot {} could not be made a failover slot: {}", stream.name(), stream.slot(),
                    StreamCreate.firstLine(e.getMessage()));
        }
    }

    private void commit(ChangeApplier applier, TargetApply target, ChangeStream stream, ApplyRate rate) throws SQLException {
        long now = System.nanoTime();
        rate.add(now, applier.groupRows(), applier.groupTransactions());
        ChangeApplier.Committed c = applier.commitGroup(rate.rowsPerSecond(now), rate.transactionsPerSecond(now));
        // the group before this one has committed by now (the sender finished it before taking this one)
        Optional<Lsn> done = target.committed();
        if (done.isPresent()) {
            stream.confirm(done.get());
        }
        LOG.debug("stream {}: committing {} transactions, {} rows, up to {}", servers.stream().name(), c.transactions(), c.rows(), c.end());
    }

    /**
     * A source whose database writes nothing sends nothing the slot could confirm, and the WAL other databases write
     * piles up behind it: a logical message written there comes back through the stream, and everything before it is
     * confirmed once it has. A source where the role may not write one goes without (keepalives still move it on
     * PostgreSQL 15 and later).
     */
    private void heartbeat() {
        try (Connection c = servers.source()) {
            LOG.debug("stream {}: heartbeat at {}", servers.stream().name(), LogicalSlots.heartbeat(c));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("stream {}: no heartbeat: {}", servers.stream().name(), StreamCreate.firstLine(e.getMessage()));
        }
    }

    private TargetApply openTarget() throws SQLException {
        Connection c = servers.targetForApply();
        try {
            return new TargetApply(c, servers.stream().name(), servers.stream().applyCommit() == LogicalStreamConfig.ApplyCommit.ASYNC);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Records why the stream stopped or pauses, where the target can be reached. */
    private void recordError(WalferryException failure) {
        try (Connection c = servers.target()) {
            StreamState.recordRunner(c, servers.stream().name(), Optional.empty(), Optional.of(failure.getMessage()));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("stream {}: could not record the error on the target: {}", servers.stream().name(), e.getMessage());
        }
    }

    /** One line for a failure: what it was, where, and (for those that do not pass) the fix. */
    static WalferryException explain(LogicalStreamConfig stream, Throwable e) {
        if (e instanceof WalferryException w) {
            return w;
        }
        if (e instanceof TargetApply.PositionMoved m) {
            return WalferryException.refused(m.getMessage() + ": another walferry applies the same stream",
                    "run one walferry logical run (or agent) per stream");
        }
        if (e instanceof TargetApply.RowNotFound r) {
            return WalferryException.refused("logical stream " + stream.name() + " stopped: " + r.getMessage()
                    + ": the target differs from the source", "find what changed the target's rows; then copy again: walferry logical "
                    + "create " + stream.name() + " --restart");
        }
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return new WalferryException(Failure.REFUSED, "logical stream " + stream.name() + " stopped on a message it cannot apply: "
                    + e.getMessage(), "report it with the output of --debug", e);
        }
        return WalferryException.postgres("logical stream " + stream.name() + ": " + StreamCreate.firstLine(e.getMessage()),
                RunFailures.passing(e) ? "it resumes from the target's position once both servers answer"
                        : "fix the cause on the server named, then run the stream again: it resumes from the target's position", e);
    }

    private static String applierName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return host + " pid " + ProcessHandle.current().pid();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("applying");
        }
    }

    /** The change stream of a session, closed with it. */
    private static final class ChangeStreamHolder implements AutoCloseable {
        ChangeStream stream;

        @Override
        public void close() throws SQLException {
            if (stream != null) {
                stream.close();
            }
        }
    }
}
