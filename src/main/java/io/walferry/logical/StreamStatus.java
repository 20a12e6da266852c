package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.StreamState;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A stream as {@code walferry status} and {@code walferry logical status} show it: read from the source (its slot,
 * how much WAL it holds back) and from the target (the stream's state), each side on its own, so that one server down
 * still shows the other's half.
 *
 * @param phase           copying, streaming, cut over; empty when the target holds no such stream (or is down)
 * @param running         a process streams the slot now
 * @param behindBytes     the source's WAL not yet confirmed by the stream (from the slot's confirmed position)
 * @param retainedBytes   the WAL the slot holds back on the source (from its restart position)
 * @param safeWalSize     how much more WAL the source may write before the slot is lost (empty: no limit)
 * @param applyLagSeconds while a process streams: how long the source's WAL waits until the target has it committed
 *                        (0 once caught up); otherwise the age of the last applied commit while changes wait
 * @param sourceError     why the source could not be read; {@code targetError} likewise
 */
public record StreamStatus(String stream, String source, String target, Optional<String> phase, boolean running, Optional<String> applier,
                           Optional<Lsn> sourceLsn, Optional<Lsn> confirmedLsn, Optional<Lsn> appliedLsn, Optional<Long> behindBytes,
                           Optional<Long> retainedBytes, Optional<Long> safeWalSize, Optional<String> walStatus,
                           Optional<Double> applyLagSeconds, double rowsPerSecond, double transactionsPerSecond, long transactions,
                           long rows, Optional<String> lastError, Optional<String> sourceError, Optional<String> targetError) {

    /** Something an operator must act on: a stream stopped by an error, a slot gone or lost, a server that does not answer. */
    public boolean unhealthy() {
        return lastError.isPresent() && !running || sourceError.isPresent() || targetError.isPresent()
                || walStatus.map(s -> s.equals("lost")).orElse(false) || phase.isPresent() && phase.get().equals("streaming") && confirmedLsn.isEmpty();
    }

    /**
     * The stream as read where its source is now: a stream whose source is a node of the cluster follows the cluster's
     * primary, so when exactly one other node is the primary ({@code primaries}: the nodes seen as primaries), its source
     * is read there. Pure.
     */
    public static LogicalStreamConfig atPrimary(LogicalStreamConfig stream, List<NodeConfig> nodes, List<String> primaries) {
        if (stream.source().node().isEmpty() || primaries.size() != 1 || primaries.contains(stream.source().node().get())) {
            return stream;
        }
        return nodes.stream().filter(n -> n.name().equals(primaries.get(0))).findFirst().map(stream::withSourceAt).orElse(stream);
    }

    public static StreamStatus read(StreamServers servers) {
        LogicalStreamConfig stream = servers.stream();
        Optional<StreamState> state = Optional.empty();
        Optional<String> targetError = Optional.empty();
        try (Connection t = servers.target()) {
            state = StreamState.read(t, stream.name());
        } catch (SQLException | RuntimeException e) {
            targetError = Optional.of(StreamCreate.firstLine(e.getMessage()));
        }
        Optional<LogicalSlots.Slot> slot = Optional.empty();
        Optional<Lsn> sourceLsn = Optional.empty();
        Optional<Duration> flushLag = Optional.empty();
        Optional<String> sourceError = Optional.empty();
        try (Connection s = servers.source()) {
            slot = LogicalSlots.read(s, stream.slot());
            sourceLsn = NodeProbe.currentLsn(s);
            flushLag = LogicalSlots.flushLag(s, stream.slot());
        } catch (SQLException | RuntimeException e) {
            sourceError = Optional.of(StreamCreate.firstLine(e.getMessage()));
        }
        Optional<Lsn> confirmed = slot.flatMap(LogicalSlots.Slot::confirmedFlush);
        Optional<Long> behind = sourceLsn.flatMap(l -> confirmed.map(c -> Math.max(0, l.value() - c.value())));
        boolean running = slot.map(LogicalSlots.Slot::active).orElse(false);
        Optional<Double> lag;
        if (running) {
            lag = Optional.of(flushLag.map(d -> d.toMillis() / 1000.0).orElse(0.0));
        } else {
            Optional<StreamState> st = state;
            lag = behind.filter(b -> b > 0).flatMap(b -> st.flatMap(x -> x.appliedCommit().map(c ->
                    Math.max(0, Duration.between(c, x.now()).toMillis() / 1000.0))));
        }
        return new StreamStatus(stream.name(), stream.source().label(), stream.target().label(),
                state.map(x -> x.phase().name().toLowerCase().replace('_', ' ')), running, state.flatMap(StreamState::applier),
                sourceLsn, confirmed, state.flatMap(StreamState::appliedLsn), behind, slot.flatMap(LogicalSlots.Slot::retainedBytes),
                slot.flatMap(LogicalSlots.Slot::safeWalSize), slot.flatMap(LogicalSlots.Slot::walStatus), lag,
                running ? state.map(StreamState::rowsPerSecond).orElse(0.0) : 0, running ? state.map(StreamState::transactionsPerSecond).orElse(0.0) : 0,
                state.map(StreamState::transactions).orElse(0L), state.map(StreamState::rows).orElse(0L), state.flatMap(StreamState::lastError),
                sourceError, targetError);
    }
}
