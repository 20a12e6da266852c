package io.walferry.replica;

import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.ExitCode;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Promotes a replica. The old primary is fenced first (see {@link Fencing}), so that two primaries are never
 * writable at once; the replica
 * receives what the old primary still sent and is promoted; the new timeline's history file must reach
 * every required repository; streaming replicas are repointed to the new primary, with a slot there, and
 * archive-fed replicas follow the new timeline through the archive.
 */
public final class Promotion {
    private static final Logger LOG = LoggerFactory.getLogger(Promotion.class);

    /**
     * What happened, in words a status line can show; {@code notRepointed} names each replica that could not be
     * repointed, and why; {@code unreachable} the nodes that did not answer (the lost old primary among them, or
     * replicas that are down).
     */
    public record Result(String promoted, Optional<String> oldPrimary, String fence, int timeline, Lsn promotedAt, List<String> repointed,
                         List<NotRepointed> notRepointed, List<String> unreachable) {
    }

    /** A replica that answered but could not be repointed. */
    public record NotRepointed(String node, String why) {
    }

    private final WalferryConfig config;
    private final PgConnector pg;
    private final List<Repository> requiredRepositories;
    private final Fencing fencing;

    public Promotion(WalferryConfig config, PgConnector pg, PgControl control, List<Repository> requiredRepositories) {
        this.config = config;
        this.pg = pg;
        this.requiredRepositories = requiredRepositories;
        this.fencing = new Fencing(pg, control);
    }

    /** {@code force}: fence an old primary this host cannot stop by making it read-only, instead of refusing. */
    public Result promote(NodeConfig target, Duration timeout, boolean force) {
        requireReplica(target);
        Topology topology = new Topology(config, pg);
        Optional<NodeConfig> old = topology.primary(target.name());
        String fence = old.map(o -> fencing.fence(o, target, force, timeout)).orElse("no primary reachable");
        awaitReplayStill(target, timeout);
        Lsn at;
        int timeline;
        try (Connection c = pg.connect(target); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("select pg_promote(true, " + Math.max(1, timeout.toSeconds()) + ")")) {
                r.next();
                if (!r.getBoolean(1)) {
                    throw new WalferryException(ExitCode.POSTGRES, "node " + target.name() + " did not finish promotion in time",
                            "see its server log");
                }
            }
            try (ResultSet r = s.executeQuery("select pg_current_wal_lsn(), pg_walfile_name(pg_current_wal_lsn())")) {
                r.next();
                at = Lsn.parse(r.getString(1));
                timeline = Integer.parseInt(r.getString(2).substring(0, 8), 16);
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot promote " + target.name() + ": " + e.getMessage(), "see its server log", e);
        }
        LOG.info("promoted {} on timeline {} at {}", target.name(), timeline, at);
        awaitHistoryArchived(timeline, timeout);
        List<String> repointed = new ArrayList<>();
        List<NotRepointed> notRepointed = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        Repointer repointer = new Repointer(config, pg);
        for (NodeConfig n : config.nodes()) {
            if (n.name().equals(target.name()) || old.map(o -> o.name().equals(n.name())).orElse(false)) {
                continue;
            }
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
        return new Result(target.name(), old.map(NodeConfig::name), fence, timeline, at, repointed, notRepointed, unreachable);
    }

    private void requireReplica(NodeConfig n) {
        try (Connection c = pg.connect(n); Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pg_is_in_recovery()")) {
            r.next();
            if (!r.getBoolean(1)) {
                throw WalferryException.refused("node " + n.name() + " is already a primary", "walferry status shows each node's role");
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot reach node " + n.name() + ": " + e.getMessage(), null, e);
        }
    }

    /** Waits until the replica has replayed all it received (the old primary's last WAL), for up to {@code timeout}. */
    private void awaitReplayStill(NodeConfig target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        int still = 0;
        while (System.nanoTime() < deadline && still < 4) {
            try (Connection c = pg.connect(target); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("select coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) = pg_last_wal_replay_lsn(), "
                         + "pg_last_wal_replay_lsn()::text")) {
                r.next();
                String now = r.getString(2);
                still = r.getBoolean(1) && now.equals(last) ? still + 1 : 0;
                last = now;
            } catch (SQLException e) {
                throw WalferryException.postgres("cannot read the replay position of " + target.name() + ": " + e.getMessage(), null, e);
            }
            sleep(250);
        }
    }

    private void awaitHistoryArchived(int timeline, Duration timeout) {
        WalFileName history = WalFileName.parse("%08X.history".formatted(timeline));
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Repository r : requiredRepositories) {
            while (r.walHeader(history).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw WalferryException.repository("the new timeline's history file " + history.fileName() + " did not reach repository "
                            + r.name() + " in time", "check archiving on the new primary (walferry check)", null);
                }
                sleep(250);
            }
        }
    }

    /** Whether a node is a replica; empty if it does not answer. */
    private Optional<Boolean> recovering(NodeConfig n) {
        try (Connection c = pg.connect(n); Statement s = c.createStatement(); ResultSet r = s.executeQuery("select pg_is_in_recovery()")) {
            r.next();
            return Optional.of(r.getBoolean(1));
        } catch (SQLException | WalferryException e) {
            return Optional.empty();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(ExitCode.FAILED, "interrupted", null);
        }
    }
}
