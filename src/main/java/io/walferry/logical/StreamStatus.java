package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.NodeConfig;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.StreamState;
import io.walferry.postgres.logical.Subscriptions;

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
 * @param subscription    the target's subscription that applies a {@code mode: subscription} stream, and how it does
 *                        there (empty state: not there, or the target could not be read)
 */
public record StreamStatus(String stream, String source, String target, Optional<String> phase, boolean running, Optional<String> applier,
                           Optional<Lsn> sourceLsn, Optional<Lsn> confirmedLsn, Optional<Lsn> appliedLsn, Optional<Long> behindBytes,
                           Optional<Long> retainedBytes, Optional<Long> safeWalSize, Optional<String> walStatus,
                           Optional<Double> applyLagSeconds, double rowsPerSecond, double transactionsPerSecond, long transactions,
                           long rows, Optional<String> lastError, Optional<String> sourceError, Optional<String> targetError,
                           Optional<String> subscription, Optional<Subscriptions.State> subscriptionState) {

    /** pg_subscription_rel's states of a table, as status names them. */
    public static String tableState(String code) {
        return switch (code) {
            case "i" -> "initializing";
            case "d" -> "copying";
            case "f" -> "copied";
            case "s" -> "synchronized";
            case "r" -> "ready";
            default -> code;
        };
    }

    /**
     * A subscription stream's last error, from the target's counters (PostgreSQL 15 and later): they count every
     * error since the subscription was made, and the target's server log says what each was. Pure.
     */
    static Optional<String> subscriptionError(String name, Optional<Subscriptions.State> state, boolean targetRead) {
        if (!targetRead) {
            return Optional.empty();
        }
        if (state.isEmpty()) {
            return Optional.of("subscription " + name + " is not on the target");
        }
        Subscriptions.State s = state.get();
        long apply = s.applyErrors().orElse(0L);
        long sync = s.syncErrors().orElse(0L);
        if (apply + sync > 0) {
            return Optional.of("subscription " + name + " failed " + apply + " times applying and " + sync + " times copying a table "
                    + "(pg_stat_subscription_stats; the target's server log says why)");
        }
        return s.enabled() ? Optional.empty() : Optional.of("subscription " + name + " is disabled on the target");
    }

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
        Optional<Subscriptions.State> sub = Optional.empty();
        try (Connection t = servers.target()) {
            state = StreamState.read(t, stream.name());
            if (servers.subscription()) {
                sub = Subscriptions.read(t, servers.subscriptionName());
            }
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
        boolean running = servers.subscription() ? sub.flatMap(Subscriptions.State::workerPid).isPresent()
                : slot.map(LogicalSlots.Slot::active).orElse(false);
        Optional<Double> lag;
        if (servers.subscription()) {
            Optional<Subscriptions.State> x = sub;
            lag = behind.map(b -> b == 0).orElse(false) ? Optional.of(0.0) : flushLag.map(d -> d.toMillis() / 1000.0)
                    .or(() -> x.flatMap(Subscriptions.State::endAgeSeconds));
        } else if (running) {
            lag = Optional.of(flushLag.map(d -> d.toMillis() / 1000.0).orElse(0.0));
        } else {
            Optional<StreamState> st = state;
            lag = behind.filter(b -> b > 0).flatMap(b -> st.flatMap(x -> x.appliedCommit().map(c ->
                    Math.max(0, Duration.between(c, x.now()).toMillis() / 1000.0))));
        }
        return new StreamStatus(stream.name(), stream.source().label(), stream.target().label(),
                state.map(x -> x.phase().name().toLowerCase().replace('_', ' ')), running, servers.subscription() && running ? Optional.of("subscription " + servers.subscriptionName() + " on the target")
                        : state.flatMap(StreamState::applier),
                sourceLsn, confirmed, state.flatMap(StreamState::appliedLsn), behind, slot.flatMap(LogicalSlots.Slot::retainedBytes),
                slot.flatMap(LogicalSlots.Slot::safeWalSize), slot.flatMap(LogicalSlots.Slot::walStatus), lag,
                running ? state.map(StreamState::rowsPerSecond).orElse(0.0) : 0, running ? state.map(StreamState::transactionsPerSecond).orElse(0.0) : 0,
                state.map(StreamState::transactions).orElse(0L), state.map(StreamState::rows).orElse(0L),
                servers.subscription() ? subscriptionError(servers.subscriptionName(), sub, targetError.isEmpty() && state.isPresent())
                        : state.flatMap(StreamState::lastError),
                sourceError, targetError, servers.subscription() ? Optional.of(servers.subscriptionName()) : Optional.empty(), sub);
    }
}
