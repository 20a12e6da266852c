package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.Identifiers;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.Publications;
import io.walferry.postgres.logical.Sequences;
import io.walferry.postgres.logical.SourceTables;
import io.walferry.postgres.logical.SourceWrites;
import io.walferry.postgres.logical.StreamState;
import io.walferry.postgres.logical.Subscriptions;
import io.walferry.postgres.logical.TableChecksum;
import io.walferry.postgres.logical.TargetCatalog;
import io.walferry.postgres.logical.TableChecksum.Sum;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code walferry logical cutover}: stops writes on the source (new sessions read-only; the sessions from before end
 * on their own within the grace period or are ended), writes a last position there once no session that could write
 * is left, waits until the stream has applied and confirmed everything up to it, copies the sequences' values, and
 * compares every table (row count and an order-independent checksum, each side in one snapshot). Only when every table
 * is equal is the stream marked cut over (and, if asked, its slot and publication dropped); a mismatch is reported table
 * by table and nothing is dropped. The source stays read-only either way: the application moves to the target, or the
 * operator decides.
 */
public final class StreamCutover {
    private static final Logger LOG = LoggerFactory.getLogger(StreamCutover.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration SLOT_RELEASE = Duration.ofSeconds(60);

    /** Bytes applied so far of those to apply before the final position. */
    public interface Progress {
        void applied(long done, long total);
    }

    /**
     * What cutover did.
     *
     * @param sessionsEnded the source's sessions it ended after the grace period (or at once, when idle)
     * @param sequences     the sequences whose values it set on the target
     */
    public record Result(String stream, Lsn finalLsn, int sessionsEnded, int sequences, CutoverComparison comparison, boolean slotDropped,
                         Duration took) {
    }

    private final StreamServers servers;

    public StreamCutover(StreamServers servers) {
        this.servers = servers;
    }

    public Result cutover(Duration grace, Duration timeout, boolean dropSlot, Progress progress) {
        LogicalStreamConfig stream = servers.stream();
        long start = System.nanoTime();
        String database = stream.source().connection().database();
        StreamRunner runner = null;
        AtomicReference<RuntimeException> runnerFailure = new AtomicReference<>();
        Thread runnerThread = null;
        try (Connection source = servers.source(); Connection target = servers.target()) {
            StreamState state = StreamState.read(target, stream.name()).orElseThrow(() -> WalferryException.refused("the target holds no "
                    + "logical stream " + stream.name(), "create it first: walferry logical create " + stream.name()));
            if (state.phase() != StreamState.Phase.STREAMING) {
                throw WalferryException.refused("logical stream " + stream.name() + " is " + (state.phase() == StreamState.Phase.CUT_OVER
                        ? "cut over already" : "still being created"), state.phase() == StreamState.Phase.CUT_OVER ? "nothing to do"
                        : "run walferry logical create " + stream.name() + " to completion first");
            }
            LogicalSlots.Slot slot = LogicalSlots.read(source, stream.slot()).orElseThrow(() -> WalferryException.refused("slot "
                    + stream.slot() + " of stream " + stream.name() + " is gone from the source, so what it did not apply yet is lost",
                    "copy again: walferry logical create " + stream.name() + " --restart"));
            List<SourceTables.Table> tables = SourceTables.read(source, stream.tables());
            if (servers.subscription()) {
                requireSubscription(target);
            } else if (!slot.active()) {
                // nobody applies the stream now: cutover applies it itself until the end
                StreamRunner r = new StreamRunner(servers);
                runner = r;
                runnerThread = new Thread(() -> {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        runnerFailure.set(e);
                    }
                }, "logical-cutover-apply");
                runnerThread.setDaemon(true);
                runnerThread.start();
            }

            Instant readOnlySince = SourceWrites.makeReadOnly(source, database);
            LOG.info("stream {}: database {} on the source is read-only for new sessions", stream.name(), database);
            int ended = endWriters(source, database, readOnlySince, grace);
            Lsn finalLsn = LogicalSlots.heartbeat(source);
            LOG.info("stream {}: no session that could write is left; final position {}", stream.name(), finalLsn);
            awaitApplied(source, finalLsn, timeout, runnerFailure, progress);

            int sequences = copySequences(source, target, tables);
            CutoverComparison comparison = compare(tables.stream().map(t -> Identifiers.quote(t.name())).toList());
            boolean dropped = false;
            if (comparison.equal()) {
                StreamState.markCutOver(target, stream.name());
                List<io.walferry.config.LogicalStreamConfig.QualifiedName> names = tables.stream().map(SourceTables.Table::name).toList();
                List<List<String>> enabled = TargetCatalog.enableUserTriggers(target, names, TargetCatalog.userTriggers(source, names, 'O'));
                if (!enabled.isEmpty()) {
                    LOG.info("stream {}: {} user triggers enabled again on the target", stream.name(), enabled.size());
                }
                if (runner != null) {
                    runner.stop();
                    runnerThread.join(SLOT_RELEASE.toMillis());
                } else if (!servers.subscription()) {
                    // the process that applies the stream sees it cut over when it reconnects, and stops
                    LogicalSlots.disconnect(source, stream.slot());
                }
                if (dropSlot) {
                    if (servers.subscription() && Subscriptions.dropIfExists(target, servers.subscriptionName())) {
                        LOG.info("stream {}: subscription {} dropped on the target", stream.name(), servers.subscriptionName());
                    }
                    dropSlotAndPublication(source);
                    dropped = true;
                }
            }
            return new Result(stream.name(), finalLsn, ended, sequences, comparison, dropped, Duration.ofNanos(System.nanoTime() - start));
        } catch (SQLException e) {
            throw new WalferryException(Failure.POSTGRES, "logical cutover " + stream.name() + " failed: " + StreamCreate.firstLine(e.getMessage()),
                    "the source stays read-only (" + SourceWrites.undoStatement(database) + " to write there again); fix the cause and run "
                            + "cutover again", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw WalferryException.interrupted("cutover");
        } finally {
            if (runner != null) {
                runner.stop();
            }
        }
    }

    /** The subscription applies the stream up to the final position; without it nothing would. */
    private void requireSubscription(Connection target) throws SQLException {
        Optional<Subscriptions.State> sub = Subscriptions.read(target, servers.subscriptionName());
        if (sub.isEmpty() || !sub.get().enabled()) {
            throw WalferryException.refused("subscription " + servers.subscriptionName() + " of logical stream " + servers.stream().name()
                    + (sub.isEmpty() ? " is gone from the target" : " is disabled on the target"), sub.isEmpty()
                    ? "copy again: walferry logical create " + servers.stream().name() + " --restart"
                    : "ALTER SUBSCRIPTION " + Identifiers.quote(servers.subscriptionName()) + " ENABLE, then cut over again");
        }
    }

    /**
     * Waits for the sessions that started before the database became read-only: an idle one is ended at once (it has
     * nothing in flight), one in a transaction may finish within the grace period and is ended after it. Returns how
     * many were ended; returns once none is left.
     */
    private int endWriters(Connection source, String database, Instant since, Duration grace) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        Set<Integer> ended = new LinkedHashSet<>();
        while (true) {
            List<SourceWrites.Session> sessions = SourceWrites.sessionsBefore(source, database, since);
            if (sessions.isEmpty()) {
                return ended.size();
            }
            boolean graceOver = System.nanoTime() > deadline;
            for (SourceWrites.Session s : sessions) {
                if ((!s.inTransaction() || graceOver) && !ended.contains(s.pid())) {
                    LOG.info("stream {}: ending session {} of {} ({}){}", servers.stream().name(), s.pid(), s.user(), s.application(),
                            s.inTransaction() ? " after the grace period" : ", idle");
                    SourceWrites.terminate(source, s.pid());
                    ended.add(s.pid());
                }
            }
            Thread.sleep(POLL);
        }
    }

    private void awaitApplied(Connection source, Lsn finalLsn, Duration timeout, AtomicReference<RuntimeException> runnerFailure,
                              Progress progress) throws SQLException, InterruptedException {
        LogicalStreamConfig stream = servers.stream();
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<Lsn> first = Optional.empty();
        while (true) {
            if (runnerFailure.get() != null) {
                throw runnerFailure.get();
            }
            LogicalSlots.Slot slot = LogicalSlots.read(source, stream.slot()).orElseThrow(() -> WalferryException.refused("slot "
                    + stream.slot() + " of stream " + stream.name() + " vanished during the cutover", "copy again: walferry logical create "
                    + stream.name() + " --restart"));
            Lsn confirmed = slot.confirmedFlush().orElseThrow();
            if (first.isEmpty()) {
                first = Optional.of(confirmed);
            }
            long total = Math.max(1, finalLsn.value() - first.get().value());
            progress.applied(Math.min(total, Math.max(0, confirmed.value() - first.get().value())), total);
            if (confirmed.compareTo(finalLsn) >= 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new WalferryException(Failure.FAILED, "logical stream " + stream.name() + " applied only up to " + confirmed + " of "
                        + finalLsn + " within " + timeout.toSeconds() + " s" + (slot.active() ? "" : " (nobody applies it)"),
                        "see walferry logical status " + stream.name() + "; the source stays read-only ("
                                + SourceWrites.undoStatement(stream.source().connection().database()) + " to write there again)");
            }
            Thread.sleep(POLL);
        }
    }

    private static int copySequences(Connection source, Connection target, List<SourceTables.Table> tables) throws SQLException {
        Set<String> schemas = new LinkedHashSet<>();
        tables.forEach(t -> schemas.add(t.name().schema()));
        int set = 0;
        for (Sequences.Value v : Sequences.read(source, schemas)) {
            if (Sequences.set(target, v)) {
                set++;
            }
        }
        return set;
    }

    /** Both servers at once, each table by table in one snapshot of its own. */
    private CutoverComparison compare(List<String> tables) throws SQLException {
        Map<String, List<String>> columns = new HashMap<>();
        CompletableFuture<Map<String, Sum>> source = CompletableFuture.supplyAsync(() -> {
            try (Connection c = servers.source()) {
                TableChecksum.begin(c);
                Map<String, Sum> sums = new HashMap<>();
                for (String t : tables) {
                    List<String> cols = TableChecksum.columns(c, t);
                    synchronized (columns) {
                        columns.put(t, cols);
                        columns.notifyAll();
                    }
                    sums.put(t, TableChecksum.sum(c, t, cols));
                }
                c.rollback();
                return sums;
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        });
        Map<String, Optional<Sum>> targetSums = new HashMap<>();
        try (Connection c = servers.target()) {
            TableChecksum.begin(c);
            for (String t : tables) {
                List<String> cols;
                synchronized (columns) {
                    while (!columns.containsKey(t) && !source.isDone()) {
                        columns.wait(1000);
                    }
                    cols = columns.get(t);
                }
                if (cols == null) {
                    break;
                }
                targetSums.put(t, TableChecksum.sumIfReadable(c, t, cols, e -> LOG.warn("stream {}: cannot read {} on the target: {}",
                        servers.stream().name(), t, StreamCreate.firstLine(e.getMessage()))));
            }
            c.rollback();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw WalferryException.interrupted("comparing the tables");
        }
        try {
            return CutoverComparison.compare(tables, source.join(), targetSums);
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw e;
        }
    }

    /** The stream's process (if one still runs) sees the stream cut over and stops; then the slot is free to drop. */
    private void dropSlotAndPublication(Connection source) throws SQLException, InterruptedException {
        LogicalStreamConfig stream = servers.stream();
        long deadline = System.nanoTime() + SLOT_RELEASE.toNanos();
        while (true) {
            Optional<LogicalSlots.Slot> slot = LogicalSlots.read(source, stream.slot());
            if (slot.isEmpty()) {
                break;
            }
            if (!slot.get().active()) {
                LogicalSlots.dropIfExists(source, stream.slot());
                break;
            }
            if (System.nanoTime() > deadline) {
                throw WalferryException.refused("slot " + stream.slot() + " of stream " + stream.name() + " is still in use by another "
                        + "process after the cutover, so it was not dropped (the stream is cut over)", "stop that process, then drop the slot on the "
                        + "source with pg_drop_replication_slot('" + stream.slot() + "')");
            }
            LogicalSlots.disconnect(source, stream.slot());
            Thread.sleep(POLL);
        }
        Publications.dropIfExists(source, stream.publication());
    }
}
