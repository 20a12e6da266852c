package io.walferry.monitor;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.NodeState;
import io.walferry.postgres.PgConnector;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One look at every configured node: role, timeline, WAL positions, lag behind the primary in bytes and
 * seconds, the primary's replication slots with the WAL each holds back, each node's archiver, whether more
 * than one primary takes writes, and whether a replica has left the primary's history (diverged).
 */
public final class ClusterStatus {
    /** A replication slot on the primary. */
    public record Slot(String name, boolean active, String restartLsn, Long heldBytes) {
    }

    /** pg_stat_archiver of a node. */
    public record Archiver(long archived, String lastArchived, String lastArchivedTime, long failed, String lastFailed,
                           String lastFailedTime) {
        /** Whether archiving fails now: its last failure is newer than its last success. */
        public boolean failing() {
            return failed > 0 && lastFailedTime != null && (lastArchivedTime == null || lastFailedTime.compareTo(lastArchivedTime) > 0);
        }
    }

    /**
     * A node as seen now. {@code state}: "up", "down" (not reachable), or "authentication failed" (it runs, but refused
     * walferry's role); {@code error} says why (and the rest is empty) when it is not up. {@code timeline}: a
     * primary's current one, a replica's the one it replays now. {@code writable}: a primary whose new transactions may
     * write (not fenced read-only); {@code warning} is set on every writable primary when there are several, as clients
     * may write to each and their data diverges. {@code diverged} says why a replica has left the primary's history
     * (its lag is then unknown).
     */
    public record Node(String name, String region, String state, String role, Integer timeline, String currentLsn, String receiveLsn,
                       String replayLsn, Long lagBytes, Double lagSeconds, List<Slot> slots, Archiver archiver, Boolean writable,
                       String warning, String diverged, String error) {
        Node withLag(long bytes) {
            Double seconds = bytes <= 0 ? Double.valueOf(0) : lagSeconds;
            return new Node(name, region, state, role, timeline, currentLsn, receiveLsn, replayLsn, Math.max(0, bytes), seconds, slots, archiver,
                    writable, warning, diverged, error);
        }

        Node withWarning(String w) {
            return new Node(name, region, state, role, timeline, currentLsn, receiveLsn, replayLsn, lagBytes, lagSeconds, slots, archiver,
                    writable, w, diverged, error);
        }

        Node asDiverged(String why) {
            return new Node(name, region, state, role, timeline, currentLsn, receiveLsn, replayLsn, null, null, slots, archiver, writable,
                    warning, why, error);
        }
    }

    public static final String UP = "up";
    public static final String DOWN = "down";
    public static final String AUTHENTICATION_FAILED = "authentication failed";

    /** The primaries that take writes, when there is more than one: the warning status shows. */
    public static List<String> writablePrimaries(List<Node> nodes) {
        List<String> w = nodes.stream().filter(n -> Boolean.TRUE.equals(n.writable())).map(Node::name).toList();
        return w.size() > 1 ? w : List.of();
    }

    /** Whether the cluster needs attention: a node down, a replica diverged, or several writable primaries. */
    public static boolean unhealthy(List<Node> nodes) {
        return nodes.stream().anyMatch(n -> n.error() != null || n.diverged() != null) || !writablePrimaries(nodes).isEmpty();
    }

    private final WalferryConfig config;
    private final PgConnector pg;

    public ClusterStatus(WalferryConfig config, PgConnector pg) {
        this.config = config;
        this.pg = pg;
    }

    public List<Node> read() {
        List<Node> nodes = new ArrayList<>();
        List<Optional<NodeState>> states = new ArrayList<>();
        Optional<NodeConfig> primary = Optional.empty();
        NodeState primaryState = null;
        for (NodeConfig n : config.nodes()) {
            Optional<NodeState> state = Optional.empty();
            Node node;
            try (Connection c = pg.connect(n)) {
                NodeState s = NodeProbe.probe(c);
                state = Optional.of(s);
                node = node(n, s);
                if (s.primary() && primary.isEmpty()) {
                    primary = Optional.of(n);
                    primaryState = s;
                }
            } catch (SQLException | WalferryException e) {
                String why = e instanceof WalferryException w ? w.getMessage() : e.getMessage();
                node = new Node(n.name(), n.region(), PgConnector.authenticationFailed(e) ? AUTHENTICATION_FAILED : DOWN, null, null, null,
                        null, null, null, null, List.of(), null, null, null, null, why);
            }
            nodes.add(node);
            states.add(state);
        }
        List<String> writable = writablePrimaries(nodes);
        if (!writable.isEmpty()) {
            String w = writable.size() + " writable primaries: " + String.join(", ", writable);
            nodes.replaceAll(n -> Boolean.TRUE.equals(n.writable()) ? n.withWarning(w) : n);
        }
        // Lag in bytes needs the primary's position, taken again after the replicas' so that it is not older than theirs.
        Optional<Lsn> primaryLsn = primary.flatMap(this::currentLsn);
        if (primaryLsn.isEmpty()) {
            return nodes;
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            Optional<NodeState> s = states.get(i);
            if (s.isEmpty() || s.get().primary() || s.get().replayedLsn().isEmpty()) {
                out.add(n);
                continue;
            }
            Lsn replayed = s.get().replayedLsn().get();
            Optional<String> diverged = Divergence.of(primaryState.timeline(), primaryLsn.get(), primaryState.history(), s.get().timeline(),
                    replayed);
            out.add(diverged.isPresent() ? n.asDiverged(diverged.get()) : n.withLag(primaryLsn.get().value() - replayed.value()));
        }
        return out;
    }

    private static Node node(NodeConfig n, NodeState s) {
        List<Slot> slots = s.slots().stream().map(sl -> new Slot(sl.name(), sl.active(), sl.restartLsn().map(Lsn::toString).orElse(null),
                sl.heldBytes().orElse(null))).toList();
        NodeState.Archiver a = s.archiver();
        Double lagSeconds = s.inRecovery() ? s.replayTimestamp().map(t -> (s.serverTime().toEpochMilli() - t.toEpochMilli()) / 1000.0)
                .orElse(null) : null;
        return new Node(n.name(), n.region(), UP, s.inRecovery() ? "replica" : "primary", s.timeline(), text(s.currentLsn()),
                text(s.receivedLsn()), text(s.replayedLsn()), null, lagSeconds, slots,
                new Archiver(a.archived(), a.lastArchived(), a.lastArchivedTime(), a.failed(), a.lastFailed(), a.lastFailedTime()),
                s.primary() && !s.readOnlyByDefault(), null, null, null);
    }

    private static String text(Optional<Lsn> lsn) {
        return lsn.map(Lsn::toString).orElse(null);
    }

    private Optional<Lsn> currentLsn(NodeConfig n) {
        try (Connection c = pg.connect(n)) {
            return NodeProbe.currentLsn(c);
        } catch (SQLException | WalferryException e) {
            return Optional.empty();
        }
    }
}
