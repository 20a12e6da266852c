package io.walferry.ha;

import io.walferry.archive.PromotionAnswers;
import io.walferry.backup.BaseBackup;
import io.walferry.backup.BackupSource;
import io.walferry.backup.RecoveryTarget;
import io.walferry.backup.TablespacePlacement;
import io.walferry.config.HaConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.monitor.Divergence;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeProbe;
import io.walferry.postgres.NodeState;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PgRewind;
import io.walferry.postgres.PostmasterPid;
import io.walferry.postgres.ServerSettings;
import io.walferry.postgres.ServerWal;
import io.walferry.postgres.SynchronousNames;
import io.walferry.postgres.SynchronousStandbys;
import io.walferry.replica.Demotion;
import io.walferry.replica.Promotion;
import io.walferry.replica.Rejoin;
import io.walferry.replica.Repointer;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One node's HA loop, in its agent: every {@code loop_wait} it reads its PostgreSQL and the store once, asks
 * {@link HaRules} what to do, does it, and publishes what it is. Each pass's decision is logged when it changes and
 * published, in words, for walferry status and the REST API.
 */
public final class HaLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaLoop.class);

    private final WalferryConfig config;
    private final HaConfig ha;
    private final NodeConfig me;
    private final ClusterStore store;
    private final PgConnector pg;
    private final PgControl control;
    private final PgRewind rewind;
    private final String restoreCommand;
    private final Watchdog watchdog;
    private final MemberApiClient members;
    private static final Duration STARTING_PASS = Duration.ofSeconds(1);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Object wake = new Object();
    /** Set by a watched change while a pass runs: the next pass starts without a pause. */
    private boolean woken;

    /** When this agent last renewed (or took) the leader key, in uptime seconds, taken before the request; NaN: it holds none. */
    private volatile double renewedAt = Double.NaN;
    private int startFailures;
    /** Since when (uptime, seconds) the leader's PostgreSQL has been down; NaN while it runs. */
    private double downSince = Double.NaN;
    /** A start of the leader's PostgreSQL was issued and it has not served since. */
    private boolean startIssued;
    /** When it was issued (uptime seconds). */
    private double startIssuedAt;
    /** The postmaster this agent last said it waits for (logged once, not every pass). */
    private long waitingFor;
    private volatile Decision last = Decision.of(Decision.Action.NONE, "starting");
    private volatile MemberState published;
    private volatile Optional<StoreView> lastView = Optional.empty();
    /** The primary's WAL position when walferry last changed whom commits wait for (synchronous mode). */
    private Optional<Lsn> syncWaitFrom = Optional.empty();
    private String lastSyncWait = "";
    /** When the store last answered (uptime seconds), the leader it named then, and this node's role at the last pass. */
    private volatile double storeOkAt = Double.NaN;
    /** When the store last answered again after it had not for longer than the retry timeout (uptime seconds). */
    private volatile double storeBackAt = Double.NaN;
    private volatile Optional<String> lastKnownLeader = Optional.empty();
    private volatile Sight.Role lastRole = Sight.Role.DOWN;
    /** A failsafe promise: not to replace this leader until then (uptime seconds). */
    private volatile String promisedTo;
    private volatile double promisedUntil;

    public HaLoop(WalferryConfig config, NodeConfig me, ClusterStore store, PgConnector pg, PgControl control, PgRewind rewind,
                  String restoreCommand, Watchdog watchdog, MemberApiClient members) {
        this.config = config;
        this.ha = config.ha().orElseThrow();
        this.me = me;
        this.store = store;
        this.pg = pg;
        this.control = control;
        this.rewind = rewind;
        this.restoreCommand = restoreCommand;
        this.watchdog = watchdog;
        this.members = members;
    }

    /**
     * Passes until closed; a change of the leader key (or a handoff, a switchover), and the exit of this node's
     * postmaster, start the next pass at once.
     */
    public void run() {
        store.watch(this::wake);
        try (PostmasterWatch crash = PostmasterWatch.start(me.dataDirectory(), this::wake)) {
            passes();
        }
    }

    private void passes() {
        while (running.get()) {
            long t0 = System.nanoTime();
            try {
                pass();
            } catch (RuntimeException e) {
                LOG.error("HA pass failed: {}", e instanceof WalferryException w ? w.oneLine() : e.toString());
            }
            long left = pause().toNanos() - (System.nanoTime() - t0);
            synchronized (wake) {
                // a change seen during the pass (or the pause) starts the next pass now
                if (!woken && running.get() && left > 0) {
                    try {
                        wake.wait(left / 1_000_000, (int) (left % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                woken = false;
            }
        }
    }

    /**
     * loop_wait; but while the leader starts its PostgreSQL again, a pass a second (at most): the start is issued as
     * soon as the dead postmaster is reaped, and the pass that finds the server serving is the one that counts the
     * start as done, before another crash could be taken for a start that failed.
     */
    private Duration pause() {
        return last.action() == Decision.Action.START_PRIMARY ? min(ha.loopWait(), STARTING_PASS) : ha.loopWait();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The last pass's decision. */
    public Decision lastDecision() {
        return last;
    }

    /** Whether this agent holds the leader key, as far as it knows (it renewed it within the lease). */
    public boolean leader() {
        return !Double.isNaN(renewedAt);
    }

    /** The store as the last pass read it (empty when it did not answer). */
    public Optional<StoreView> lastView() {
        return lastView;
    }

    /** This node's PostgreSQL now. */
    public Optional<NodeState> localNow() {
        return probe(me);
    }

    /** What this member published last (for its REST API). */
    public Optional<MemberState> published() {
        return Optional.ofNullable(published);
    }

    /** One pass: read, decide, act, publish. */
    void pass() {
        Optional<StoreView> view = readStore();
        lastView = view;
        Optional<String> leader = view.flatMap(StoreView::leader);
        Optional<NodeState> state = probe(me);
        Sight.Local local = local(state, leader.filter(l -> !l.equals(me.name())).flatMap(config::node), view);
        Map<String, Lsn> asked = view.isPresent() && leader.isEmpty() && local.role() == Sight.Role.REPLICA
                ? members.askWal(view.get(), me.name()) : Map.of();
        Optional<Duration> sinceRenew = Double.isNaN(renewedAt) ? Optional.empty()
                : Optional.of(Duration.ofMillis((long) ((Watchdog.uptime() - renewedAt) * 1000)));
        lastRole = local.role();
        boolean failsafe = view.isEmpty() && ha.failsafe() && local.role() == Sight.Role.PRIMARY && !Double.isNaN(renewedAt)
                && everyMemberAgrees();
        Sight sight = new Sight(me.name(), ha.member(me.name()), local, view, sinceRenew, startFailures, asked, Sight.Timing.of(ha),
                new Sight.Failsafe(failsafe, promise()));
        Decision d = HaRules.decide(sight);
        if (!d.why().equals(last.why())) {
            LOG.info("HA: {}", d.why());
        }
        last = d;
        act(d, state);
        publish(view.isPresent());
    }

    private Optional<StoreView> readStore() {
        try {
            StoreView v = store.read();
            double now = Watchdog.uptime();
            if (!Double.isNaN(storeOkAt) && now - storeOkAt > ha.retryTimeout().toMillis() / 1000.0) {
                storeBackAt = now;
            }
            storeOkAt = now;
            lastKnownLeader = v.leader();
            return Optional.of(v);
        } catch (StoreUnavailable e) {
            LOG.warn("HA: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<NodeState> probe(NodeConfig n) {
        if (n == me && !PostmasterPid.read(me.dataDirectory()).map(PostmasterPid::alive).orElse(false)) {
            return Optional.empty();
        }
        try (Connection c = pg.connect(n, ha.retryTimeout())) {
            return Optional.of(NodeProbe.probe(c));
        } catch (SQLException | WalferryException e) {
            return Optional.empty();
        }
    }

    /** This node's PostgreSQL as the rules see it, judged against the leader it should follow (if any). */
    private Sight.Local local(Optional<NodeState> state, Optional<NodeConfig> leader, Optional<StoreView> view) {
        if (state.isEmpty()) {
            return Sight.Local.down();
        }
        NodeState s = state.get();
        if (s.primary()) {
            return new Sight.Local(Sight.Role.PRIMARY, s.timeline(), s.currentLsn(), false, false, false, Optional.empty());
        }
        String conninfo = s.setting("primary_conninfo");
        // The watchdog's fence is a bare standby.signal: such a server follows nobody, and is not an archive-only replica.
        boolean fenced = watchdog.fired();
        boolean archiveOnly = conninfo.isBlank() && !fenced;
        boolean follows = leader.map(l -> conninfo.contains("port=" + l.port()) && conninfo.contains("host=" + l.host())).orElse(false);
        Optional<String> diverged = fenced && leader.isPresent() ? Optional.of("its watchdog fenced it when the lease ran out")
                : leader.flatMap(l -> diverged(s, l, view));
        return new Sight.Local(Sight.Role.REPLICA, s.timeline(), s.walHeld(), s.streaming(), archiveOnly, follows, diverged);
    }

    /** Whether this replica has left the leader's history; asked of the leader itself only when the published state hints so. */
    private Optional<String> diverged(NodeState mine, NodeConfig leader, Optional<StoreView> view) {
        Optional<MemberState> published = view.map(v -> v.members().get(leader.name()));
        Optional<Lsn> replayed = mine.replayedLsn();
        if (replayed.isEmpty() || published.isEmpty()) {
            return Optional.empty();
        }
        if (published.get().timeline() == mine.timeline()) {
            return Optional.empty();
        }
        return probe(leader).filter(NodeState::primary).flatMap(l -> Divergence.of(l.timeline(), l.currentLsn().orElseThrow(), l.history(),
                mine.timeline(), replayed.get()));
    }

    private void act(Decision d, Optional<NodeState> state) {
        try {
            switch (d.action()) {
                case NONE -> {
                    if (state.isEmpty() || !state.get().primary()) {
                        watchdog.disarm();
                    }
                }
                case RENEW -> {
                    if (renew()) {
                        maintainSync();
                    }
                }
                case TAKE_KEY -> {
                    double t = Watchdog.uptime();
                    if (store.acquireLeader(me.name(), ha.ttl())) {
                        renewed(t);
                        LOG.info("HA: took the leader key as the running primary");
                        maintainSync();
                    }
                }
                case PROMOTE -> promote();
                case DEMOTE -> demote(d.leader().flatMap(config::node), d.why().startsWith("etcd"));
                case FOLLOW -> new Repointer(config, pg).repoint(me, config.node(d.leader().orElseThrow()).orElseThrow());
                case REJOIN, START_REPLICA -> rejoin(d.action() == Decision.Action.START_REPLICA);
                case START_PRIMARY -> {
                    if (holdWhileStarting()) {
                        startPrimary();
                    }
                }
                case RELEASE -> {
                    store.releaseLeader(me.name(), Optional.empty());
                    forget();
                }
                case SWITCHOVER -> switchover(config.node(d.leader().orElseThrow()).orElseThrow());
                case FAILSAFE -> watchdog.armUntil(Watchdog.uptime(), ha.ttl().toMillis() / 1000.0);
            }
        } catch (StoreUnavailable e) {
            LOG.warn("HA: {} (the next pass decides again)", e.getMessage());
        } catch (IOException e) {
            LOG.error("HA: {}", e.getMessage());
        }
    }

    /**
     * The leader's PostgreSQL is down or starting: the leader keeps the key (and moves its watchdog's deadline on) while it
     * starts it again in place, for up to primary_start_timeout, so that a crash costs a restart and not a failover.
     * False when the key is lost or the time is up (the next pass then gives the key up).
     */
    private boolean holdWhileStarting() throws StoreUnavailable, IOException {
        double now = Watchdog.uptime();
        if (Double.isNaN(downSince)) {
            downSince = now;
        }
        if (ha.primaryStartTimeout().isZero() || now - downSince > ha.primaryStartTimeout().toMillis() / 1000.0) {
            startFailures = HaRules.START_ATTEMPTS;
            LOG.error("HA: PostgreSQL has not come back within primary_start_timeout ({} s)", ha.primaryStartTimeout().toSeconds());
            return false;
        }
        if (!store.renewLeader(me.name())) {
            LOG.warn("HA: the leader key was lost while PostgreSQL was down: it is not started as a primary");
            forget();
            return false;
        }
        renewedAt = now;
        watchdog.armUntil(now, ha.ttl().toMillis() / 1000.0);
        return true;
    }

    /** True if the lease was renewed; otherwise this primary was demoted. */
    private boolean renew() throws StoreUnavailable, IOException {
        double t = Watchdog.uptime();
        if (store.renewLeader(me.name())) {
            renewed(t);
            return true;
        }
        // The key is gone (expired) or another's: this primary must stop taking writes now.
        LOG.warn("HA: the leader lease could not be renewed: demoting now");
        forget();
        demote(Optional.empty(), false);
        return false;
    }

    /**
     * Synchronous mode, one safe step a pass (SyncRules): which standbys the commits wait for follows the healthy
     * streaming candidates, and the store always names every standby a commit may have waited for.
     */
    private void maintainSync() throws StoreUnavailable {
        if (ha.synchronous() == HaConfig.Synchronous.OFF) {
            return;
        }
        StoreView v = store.read();
        try (Connection c = pg.connect(me)) {
            String current = ServerSettings.current(c, "synchronous_standby_names");
            List<String> inPostgres = SyncRules.parse(standbysPart(current).value());
            List<MemberState> healthy = v.members().values().stream().filter(m -> !m.node().equals(me.name())
                    && MemberState.REPLICA.equals(m.role()) && m.streaming() && m.candidate()).toList();
            List<String> desired = SyncRules.desired(ha.synchronous(), ha.synchronousCount(), ha.synchronousStrict(), healthy, inPostgres);
            SyncRules.Step step = SyncRules.step(v.sync(), inPostgres, desired, caughtUp(c, inPostgres), ha.synchronousStrict());
            switch (step.kind()) {
                case NONE -> {
                }
                case AWAIT_CATCH_UP -> {
                    String why = "waiting for " + inPostgres + " to flush past " + syncWaitFrom.map(Lsn::toString).orElse("?")
                            + " before the store forgets " + v.sync().orElse(List.of());
                    if (!why.equals(lastSyncWait)) {
                        LOG.info("HA: {}", why);
                        lastSyncWait = why;
                    }
                }
                case WRITE_STORE -> {
                    if (store.writeSync(me.name(), step.standbys())) {
                        LOG.info("HA: synchronous standbys recorded: {}", step.standbys());
                    }
                }
                case SET_POSTGRES -> {
                    ServerSettings.alterSystem(c, "synchronous_standby_names", withArchiveAsFound(
                            SyncRules.standbyNames(ha.synchronous(), ha.synchronousCount(), ha.synchronousStrict(), step.standbys()), current));
                    ServerSettings.reload(c);
                    syncWaitFrom = Optional.of(ServerWal.current(c));
                    if (step.standbys().isEmpty()) {
                        LOG.warn("HA: no healthy synchronous standby: commits go on without one (synchronous_strict: false), "
                                + "and no replica is promoted automatically until one has caught up");
                    } else {
                        LOG.info("HA: commits wait for {} of {}", Math.min(ha.synchronousCount(), step.standbys().size()), step.standbys());
                    }
                }
            }
        } catch (SQLException | WalferryException e) {
            LOG.warn("HA: cannot maintain the synchronous standbys: {}", e.getMessage());
        }
    }

    /**
     * The standbys' part of synchronous_standby_names: the synchronous archive (archive.synchronous) is the agent's to
     * add and drop, and stays as the agent left it (SynchronousNames composes the two).
     */
    private SynchronousNames standbysPart(String current) {
        return SynchronousNames.parse(current).withoutArchive(SynchronousNames.archiveName(me.name()), config.archive().stream().withStandbys());
    }

    private String withArchiveAsFound(String standbys, String current) {
        String archive = SynchronousNames.archiveName(me.name());
        Optional<String> keep = SynchronousNames.parse(current).includes(archive) ? Optional.of(archive) : Optional.empty();
        return SynchronousNames.parse(standbys).withArchive(keep, config.archive().stream().withStandbys()).value();
    }

    /**
     * Whether every standby PostgreSQL waits for has flushed past the position at which it began to: the position is
     * remembered when walferry changes the setting, and taken now after an agent restart (later is only safer).
     */
    private boolean caughtUp(Connection c, List<String> inPostgres) throws SQLException {
        if (inPostgres.contains(SyncRules.ANY)) {
            return true;
        }
        if (syncWaitFrom.isEmpty()) {
            syncWaitFrom = Optional.of(ServerWal.current(c));
        }
        Map<String, Lsn> flushed = SynchronousStandbys.flushed(c);
        Lsn from = syncWaitFrom.get();
        return inPostgres.stream().allMatch(n -> flushed.containsKey(n) && flushed.get(n).compareTo(from) >= 0);
    }

    private void renewed(double at) throws IOException {
        renewedAt = at;
        downSince = Double.NaN;
        startIssued = false;
        startFailures = 0;
        watchdog.armUntil(at, ha.ttl().toMillis() / 1000.0);
    }

    private void forget() {
        renewedAt = Double.NaN;
        downSince = Double.NaN;
        startIssued = false;
        watchdog.disarm();
    }

    private void promote() throws StoreUnavailable, IOException {
        double t = Watchdog.uptime();
        if (!me.name().equals(store.read().leader().orElse(null)) && !store.acquireLeader(me.name(), ha.ttl())) {
            LOG.info("HA: another member took the leader key first");
            return;
        }
        renewed(t);
        if (ha.synchronous() != HaConfig.Synchronous.OFF) {
            // Until the leader chooses its standbys, commits wait for any: the store says any may have confirmed one.
            store.writeSync(me.name(), List.of(SyncRules.ANY));
            try (Connection c = pg.connect(me)) {
                ServerSettings.alterSystem(c, "synchronous_standby_names",
                        SyncRules.standbyNames(ha.synchronous(), ha.synchronousCount(), true, List.of(SyncRules.ANY)));
                ServerSettings.reload(c);
            } catch (SQLException e) {
                LOG.warn("HA: cannot set synchronous_standby_names before the promotion: {}", e.getMessage());
            }
        }
        // The lease is kept while PostgreSQL finishes its recovery, for as long as a leader may take to start its server;
        // the lookups that end recovery are answered here, not by a JVM each (PromotionAnswers).
        Duration limit = ha.primaryStartTimeout().isZero() ? ha.ttl() : ha.primaryStartTimeout();
        ServerWal.Position at;
        try (LeaseKeeper k = LeaseKeeper.during(store, me.name(), ha.loopWait(), limit, this::renewed);
             PromotionAnswers answers = PromotionAnswers.start(config, me.dataDirectory())) {
            at = promotion().promoteAsLeader(me, limit);
        }
        LOG.warn("HA: promoted {} on timeline {} at {}", me.name(), at.timeline(), at.lsn());
        // the lease again, before anyone may take it
        renew();
    }

    private Promotion promotion() {
        List<Repository> required = config.repositories().stream().filter(io.walferry.config.RepositoryConfig::required)
                .map(rc -> Repository.open(rc, config.cluster(), false)).toList();
        return new Promotion(config, pg, control, required, restoreCommand);
    }

    private void demote(Optional<NodeConfig> leader, boolean storeLost) {
        forget();
        if (!PostmasterPid.read(me.dataDirectory()).map(PostmasterPid::alive).orElse(false)) {
            return;
        }
        // Cut off from the store, time is short: immediate. Told by the store, a clean stop lets it follow without a rewind.
        new Demotion(config, pg, control, restoreCommand).demote(me, leader, !storeLost);
    }

    private void rejoin(boolean down) {
        if (down && PostmasterPid.read(me.dataDirectory()).map(PostmasterPid::alive).orElse(false)) {
            LOG.info("HA: PostgreSQL is starting; waiting for it");
            return;
        }
        Rejoin.Result r = new Rejoin(config, pg, control, rewind, restoreCommand).rejoin(me,
                () -> BackupSource.choose(config, Optional.empty(), null, RecoveryTarget.none()).repository(), TablespacePlacement.NONE,
                (done, total) -> { }, ha.retryTimeout().multipliedBy(6));
        LOG.warn("HA: {} rejoined {} ({})", me.name(), r.primary(), r.how().name().toLowerCase());
        try {
            watchdog.clearFired();
        } catch (IOException e) {
            LOG.warn("HA: cannot remove the watchdog's note: {}", e.getMessage());
        }
    }

    /**
     * Starts the leader's PostgreSQL without waiting for it, so that the loop goes on renewing the key through a long
     * crash recovery; a postmaster that exits before it serves counts as a failed start.
     */
    private void startPrimary() {
        Optional<PostmasterPid> old = PostmasterPid.read(me.dataDirectory()).filter(PostmasterPid::alive);
        if (old.isPresent()) {
            if (waitingFor != old.get().pid()) {
                waitingFor = old.get().pid();
                // PostgreSQL refuses to start over the lock file of a postmaster that still exists: not a failed start
                LOG.info(old.get().defunct() ? "HA: the postmaster (pid {}) has exited and is not reaped yet; starting PostgreSQL once it is"
                        : "HA: PostgreSQL (pid {}) is starting; waiting for it", old.get().pid());
            }
            return;
        }
        if (startIssued && Watchdog.uptime() - startIssuedAt < ha.retryTimeout().toMillis() / 1000.0) {
            return; // on a busy machine its lock file may not be written yet: not a failed start yet
        }
        if (startIssued) {
            startFailures++;
            LOG.error("HA: PostgreSQL exited before it served ({} of {}): see {}", startFailures, HaRules.START_ATTEMPTS,
                    PgControl.logFile(me.dataDirectory()));
            if (startFailures >= HaRules.START_ATTEMPTS) {
                return;
            }
        }
        try {
            control.startNoWait(me.dataDirectory());
            startIssued = true;
            startIssuedAt = Watchdog.uptime();
        } catch (WalferryException e) {
            startFailures++;
            LOG.error("HA: PostgreSQL did not start ({} of {}): {}", startFailures, HaRules.START_ATTEMPTS, e.oneLine());
        }
    }

    private void switchover(NodeConfig to) throws StoreUnavailable, IOException {
        new Switchover(config, pg, control, store, members, restoreCommand).handOver(me, to, ha);
        forget();
        store.clearSwitchover();
    }

    private void publish(boolean storeAnswered) {
        Optional<NodeState> s = probe(me);
        HaConfig.Member prefs = ha.member(me.name());
        String role = s.map(n -> n.primary() ? MemberState.PRIMARY : MemberState.REPLICA).orElse(MemberState.DOWN);
        boolean archiveOnly = s.map(n -> !n.primary() && n.setting("primary_conninfo").isBlank()).orElse(false);
        MemberState m = new MemberState(me.name(), role, s.map(NodeState::timeline).orElse(0),
                s.flatMap(NodeState::walHeld).map(Lsn::toString).orElse(null), s.map(NodeState::streaming).orElse(false), archiveOnly,
                !prefs.noFailover() && (!archiveOnly || prefs.promoteFromArchive()), prefs.failoverPriority(),
                ha.api().scheme() + "://" + me.host() + ":" + prefs.apiPort(), last.why(), Instant.now().toString());
        published = m;
        if (!storeAnswered) {
            return;
        }
        try {
            boolean leader = !Double.isNaN(renewedAt) && MemberState.PRIMARY.equals(role);
            store.publish(m, ha.ttl(), leader ? s.flatMap(NodeState::currentLsn) : Optional.empty());
        } catch (StoreUnavailable e) {
            LOG.warn("HA: cannot publish this member's state: {}", e.getMessage());
        }
    }

    /**
     * Failsafe mode: this leader asks every other configured member's API whether it, too, cannot see etcd and still
     * takes this node for the leader; all must agree (a member that does not answer is not an agreement).
     */
    private boolean everyMemberAgrees() {
        for (NodeConfig n : config.nodes()) {
            if (!n.name().equals(me.name()) && !members.failsafe(ha.api().scheme() + "://" + n.host() + ":" + ha.member(n.name()).apiPort(), me.name())) {
                return false;
            }
        }
        return true;
    }

    /**
     * A leader's failsafe call (see {@link HaRules#agreesToFailsafe}); an agreement is a promise not to replace that
     * leader for a ttl.
     */
    public boolean acceptFailsafe(String leader) {
        double now = Watchdog.uptime();
        double retry = ha.retryTimeout().toMillis() / 1000.0;
        boolean blind = Double.isNaN(storeOkAt) || now - storeOkAt > retry;
        boolean justBack = !Double.isNaN(storeBackAt) && now - storeBackAt < ha.ttl().toMillis() / 1000.0;
        if (HaRules.agreesToFailsafe(leader, lastRole, blind, justBack, lastKnownLeader)) {
            promisedTo = leader;
            promisedUntil = now + ha.ttl().toMillis() / 1000.0;
            return true;
        }
        return false;
    }

    private Optional<String> promise() {
        String p = promisedTo;
        return p != null && Watchdog.uptime() < promisedUntil ? Optional.of(p) : Optional.empty();
    }

    private void wake() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    @Override
    public void close() {
        running.set(false);
        synchronized (wake) {
            wake.notifyAll();
        }
    }
}
