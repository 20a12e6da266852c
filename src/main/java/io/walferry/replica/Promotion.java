package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Checkpoint;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PostmasterPid;
import io.walferry.postgres.Promote;
import io.walferry.postgres.ReplayState;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Promotes a replica without losing a write the old primary acknowledged. The old primary is fenced first
 * (see {@link Fencing}) and where its WAL ends is read; the replica must hold WAL up to there (streamed, or
 * replayed from the archive, which the old primary's shutdown fills) and no other replica may hold more,
 * or it could not follow the new timeline; then it is promoted, the new timeline's history file must reach
 * every required repository, and the streaming replicas are repointed to the new primary (archive-fed
 * replicas follow the new timeline through the archive). {@code force} promotes past each refusal.
 */
public final class Promotion {
    private static final Logger LOG = LoggerFactory.getLogger(Promotion.class);

    /**
     * What happened, in words a status line can show; {@code walEnd} is where the old primary's WAL ends, when
     * known; {@code notRepointed} names each replica that could not be repointed, and why; {@code unreachable} the
     * nodes that did not answer (the lost old primary among them, or replicas that are down).
     */
    public record Result(String promoted, Optional<String> oldPrimary, String fence, Optional<Lsn> walEnd, int timeline, Lsn promotedAt,
                         List<String> repointed, List<NotRepointed> notRepointed, List<String> unreachable, List<String> fencedOnDisk,
                         List<StartFence.Elsewhere> runElsewhere) {
        /**
         * Why the promotion is not finished although the node is the primary: a replica that answered could not be
         * repointed to it. Empty when every reachable replica follows it.
         */
        public Optional<WalferryException> unfinished() {
            if (notRepointed.isEmpty()) {
                return Optional.empty();
            }
            NotRepointed first = notRepointed.get(0);
            String more = notRepointed.size() > 1 ? " (and " + (notRepointed.size() - 1) + " more)" : "";
            return Optional.of(new WalferryException(Failure.FAILED, promoted + " is the primary, but replica " + first.node()
                    + " could not be repointed to it" + more + ": " + first.why(),
                    "fix that, then run walferry replica repoint --node " + first.node()
                            + (more.isEmpty() ? "" : ", and likewise for each replica listed as not repointed")));
        }
    }

    /** A replica that answered but could not be repointed. */
    public record NotRepointed(String node, String why) {
    }

    private final WalferryConfig config;
    private final PgConnector pg;
    private final List<Repository> requiredRepositories;
    private final Fencing fencing;
    private final String restoreCommand;

    /** @param restoreCommand what an old primary fenced on disk gets as its restore_command */
    public Promotion(WalferryConfig config, PgConnector pg, PgControl control, List<Repository> requiredRepositories, String restoreCommand) {
        this.config = config;
        this.pg = pg;
        this.requiredRepositories = requiredRepositories;
        this.fencing = new Fencing(pg, control);
        this.restoreCommand = restoreCommand;
    }

    public Result promote(NodeConfig target, Duration timeout, boolean force) {
        requireReplica(target);
        Optional<NodeConfig> old = new Topology(config, pg).primary(target.name());
        Fencing.Fence fence = old.isPresent() ? fencing.fence(old.get(), target, force, timeout)
                : fencing.noneReachable(target, others(target, old), systemIdentifier(target), checkpointTimeline(target));
        fence.walEnd().ifPresent(end -> awaitWal(target, end, timeout, force, old.isPresent()));
        refuseIfAnotherHoldsMore(target, old, force);
        // Before the promotion: an old primary that is down here must not start as a second primary, ever.
        StartFence.Plan startFence = StartFence.plan(seen(target, old));
        List<String> fencedOnDisk = fenceOnDisk(startFence, target);
        ServerWal.Position promoted = promoteServer(target, timeout);
        Lsn at = promoted.lsn();
        int timeline = promoted.timeline();
        List<String> repointed = new ArrayList<>();
        List<NotRepointed> notRepointed = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        Repointer repointer = new Repointer(config, pg);
        for (NodeConfig n : others(target, old)) {
            Optional<Boolean> replica = recovering(n);
            if (replica.isEmpty()) {
                unreachable.add(n.name());
                continue;
            }
            try {
                if (replica.get()) {
                    repointed.add(repointer.repoint(n, target));
                }
            } catch (WalferryException e) {
                notRepointed.add(new NotRepointed(n.name(), e.getMessage()));
            }
        }
        checkpoint(target);
        return new Result(target.name(), old.map(NodeConfig::name), fence.how(), fence.walEnd(), timeline, at, repointed, notRepointed,
                unreachable, fencedOnDisk, startFence.elsewhere());
    }

    /**
     * Promotion under the HA leader key: the old primary was fenced by its lease (it stopped taking writes before the
     * key could expire) and the HA rules chose this replica; here only what follows, as promote does it. The other
     * replicas' agents point them at the new leader themselves. Where the new timeline begins.
     */
    public ServerWal.Position promoteAsLeader(NodeConfig target, Duration timeout) {
        fenceOnDisk(StartFence.plan(seen(target, Optional.empty())), target);
        ServerWal.Position promoted = promoteServer(target, timeout);
        checkpoint(target);
        return promoted;
    }

    private List<String> fenceOnDisk(StartFence.Plan plan, NodeConfig target) {
        List<String> fenced = new ArrayList<>();
        for (StartFence.OnDisk d : plan.onDisk()) {
            NodeConfig n = config.node(d.node()).orElseThrow();
            fencing.fenceOnDisk(n, target, config.connection(), restoreCommand);
            fenced.add(n.name());
        }
        return fenced;
    }

    /** pg_promote, then the new timeline's history file in every required repository; where the new timeline begins. */
    private ServerWal.Position promoteServer(NodeConfig target, Duration timeout) {
        ServerWal.Position position;
        try (Connection c = pg.connect(target)) {
            if (!Promote.promote(c, (int) Math.min(Integer.MAX_VALUE, timeout.toSeconds()))) {
                throw new WalferryException(Failure.POSTGRES, "node " + target.name() + " did not finish promotion in time",
                        "see its server log");
            }
            position = ServerWal.position(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot promote " + target.name() + ": " + e.getMessage(), "see its server log", e);
        }
        LOG.info("promoted {} on timeline {} at {}", target.name(), position.timeline(), position.lsn());
        awaitHistoryArchived(position.timeline(), timeout);
        return position;
    }

    /**
     * The new primary's first checkpoint, now rather than spread over minutes: until it is written, its pg_control
     * names the old timeline, and pg_rewind (rejoining the old primary, or this one after a later failover) takes both
     * servers for one timeline, or cannot find the WAL of the old one.
     */
    private void checkpoint(NodeConfig n) {
        try (Connection c = pg.connect(n)) {
            Checkpoint.run(c);
        } catch (SQLException | WalferryException e) {
            LOG.warn("could not checkpoint the new primary {} ({}): run CHECKPOINT there before rejoining the old primary with pg_rewind",
                    n.name(), e.getMessage());
        }
    }

    /** Every other node as the start fence needs to see it; with no old primary reachable, any node may have been it. */
    private List<StartFence.Seen> seen(NodeConfig target, Optional<NodeConfig> old) {
        List<StartFence.Seen> out = new ArrayList<>();
        for (NodeConfig n : config.nodes()) {
            if (n.name().equals(target.name())) {
                continue;
            }
            boolean here = ThisHost.is(n.host()) && !Fencing.sameDirectory(n, target);
            Path dir = n.dataDirectory();
            out.add(new StartFence.Seen(n.name(), n.host(), here, recovering(n).isPresent(),
                    here && Files.exists(dir.resolve("global/pg_control")),
                    here && PostmasterPid.read(dir).map(PostmasterPid::alive).orElse(false),
                    here && Files.exists(dir.resolve("standby.signal")),
                    old.map(o -> o.name().equals(n.name())).orElse(true)));
        }
        return out;
    }

    private void requireReplica(NodeConfig n) {
        if (!inRecovery(n)) {
            throw WalferryException.refused("node " + n.name() + " is already a primary", "walferry status shows each node's role");
        }
    }

    /** Every configured node but the target and the old primary. */
    private List<NodeConfig> others(NodeConfig target, Optional<NodeConfig> old) {
        return config.nodes().stream().filter(n -> !n.name().equals(target.name()) && old.map(o -> !o.name().equals(n.name())).orElse(true))
                .toList();
    }

    /** Waits until the target holds the old primary's WAL up to {@code end}; refuses (unless forced) when it cannot get there in time. */
    private void awaitWal(NodeConfig target, Lsn end, Duration timeout, boolean force, boolean oldWasReachable) {
        Deadline deadline = Deadline.after(timeout);
        Optional<Lsn> held = held(target);
        while (held.isEmpty() || held.get().compareTo(end) < 0) {
            if (deadline.passed()) {
                break;
            }
            deadline.pause();
            held = held(target);
        }
        act(PromotionRules.holdsOldWal(target.name(), held, end, force, oldWasReachable));
    }

    /** Another replica that holds WAL past the target's would be past the new timeline's start: it could not follow it. */
    private void refuseIfAnotherHoldsMore(NodeConfig target, Optional<NodeConfig> old, boolean force) {
        Map<String, Optional<Lsn>> others = new LinkedHashMap<>();
        for (NodeConfig n : others(target, old)) {
            others.put(n.name(), held(n));
        }
        act(PromotionRules.mostAdvanced(target.name(), held(target), others, force));
    }

    /** Goes on, with the reason logged (a warning when forced past a refusal), or refuses. */
    private static void act(PromotionRules.Verdict v) {
        switch (v.kind()) {
            case PROCEED -> LOG.info("{}", v.why());
            case PROCEED_FORCED -> LOG.warn("{}", v.why());
            case REFUSE -> throw WalferryException.refused(v.why(), v.hint());
        }
    }

    /** The most WAL a replica holds (received or replayed); empty if it is not reachable, not a replica, or holds none known. */
    private Optional<Lsn> held(NodeConfig n) {
        try (Connection c = pg.connect(n)) {
            ReplayState s = ReplayState.read(c);
            return s.inRecovery() ? s.most() : Optional.empty();
        } catch (SQLException | WalferryException e) {
            LOG.debug("cannot read the WAL positions of {}: {}", n.name(), e.getMessage());
            return Optional.empty();
        }
    }

    private boolean inRecovery(NodeConfig n) {
        return read(n, ServerInfo::inRecovery);
    }

    /** Whether a node is a replica; empty if it does not answer. */
    private Optional<Boolean> recovering(NodeConfig n) {
        try {
            return Optional.of(inRecovery(n));
        } catch (WalferryException e) {
            return Optional.empty();
        }
    }

    private String systemIdentifier(NodeConfig n) {
        return read(n, ServerInfo::systemIdentifier);
    }

    /** The timeline of the target's last restartpoint: a stopped primary on an older one is not the one it followed. */
    private int checkpointTimeline(NodeConfig n) {
        return read(n, ServerInfo::checkpointTimeline);
    }

    private interface Read<T> {
        T from(Connection c) throws SQLException;
    }

    private <T> T read(NodeConfig n, Read<T> read) {
        try (Connection c = pg.connect(n)) {
            return read.from(c);
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot query node " + n.name() + ": " + e.getMessage(), null, e);
        }
    }

    private void awaitHistoryArchived(int timeline, Duration timeout) {
        WalFileName history = WalFileName.parse("%08X.history".formatted(timeline));
        Deadline deadline = Deadline.after(timeout);
        for (Repository r : requiredRepositories) {
            while (r.walHeader(history).isEmpty()) {
                if (deadline.passed()) {
                    throw WalferryException.repository("the new timeline's history file " + history.fileName() + " did not reach repository "
                            + r.name() + " in time", "check archiving on the new primary (walferry check)", null);
                }
                deadline.pause();
            }
        }
    }
}
