package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The server connections of one {@link PoolKey}: at most {@code maxSize}, idle ones reused most recently used first, and
 * clients waiting in turn when all are busy (up to the wait timeout). Runs on the router's event loop only.
 */
final class ServerPool implements ServerConnection.Listener {
    /** A client waiting for a server connection. */
    interface Waiter {
        void granted(ServerConnection s);

        /** No connection: the server's ErrorResponse (the waiter releases it) or null, and why. */
        void failed(ByteBuf error, String why);
    }

    /** Hears the waiters of a server that could not be reached: they may wait for the next view of the cluster. */
    interface Unreachable {
        void waiting(Waiter w, String why);
    }

    /**
     * The limit of server connections per user and node ({@code user_pool_size}), over all the pools of that user on
     * that node.
     */
    interface Budget {
        Budget NONE = new Budget() {
        };

        /** Whether the pool may open one more connection; counted if so. */
        default boolean open(PoolKey key) {
            return true;
        }

        /** A counted connection is gone. */
        default void gone(PoolKey key) {
        }

        /** Another pool of the same user and node waits under the user's limit: an idle connection here is better closed. */
        default boolean wantedElsewhere(PoolKey key) {
            return false;
        }

        /** The user's limit, when it is what keeps this pool's clients waiting. */
        default java.util.Optional<String> holdsBack(PoolKey key) {
            return java.util.Optional.empty();
        }
    }

    /** A waiting client and when it stops waiting ({@link System#nanoTime()}). */
    private record Waiting(Waiter waiter, long deadline) {
    }

    private final PoolKey key;
    private int maxSize;
    private final ServerConnector connector;
    private final Duration waitTimeout;
    private final Unreachable unreachable;
    private final Set<ServerConnection> all = new HashSet<>();
    private final Deque<ServerConnection> idle = new ArrayDeque<>();
    /** In the order they came, which is the order of their deadlines: one timer, for the first, serves them all. */
    private final Deque<Waiting> waiters = new ArrayDeque<>();
    private ScheduledFuture<?> timer;
    private ServerCredentials credentials;
    private long errors;
    private Budget budget = Budget.NONE;
    private final PoolBytes bytes = new PoolBytes();

    ServerPool(PoolKey key, int maxSize, ServerConnector connector, Duration waitTimeout, Unreachable unreachable) {
        this.key = key;
        this.unreachable = unreachable;
        this.maxSize = maxSize;
        this.connector = connector;
        this.waitTimeout = waitTimeout;
    }

    PoolKey key() {
        return key;
    }

    /** The limit per user this pool shares with the user's other pools on its node. */
    ServerPool budget(Budget b) {
        budget = b;
        return this;
    }

    PoolBytes bytes() {
        return bytes;
    }

    void acquire(Waiter w, ServerCredentials creds) {
        credentials = creds;
        while (!idle.isEmpty()) {
            ServerConnection s = idle.pop();
            if (s.channel().isActive() && s.state() == ServerConnection.State.IDLE) {
                w.granted(s);
                return;
            }
        }
        // no timer of its own for each wait: in transaction mode a busy pool has a wait for nearly every transaction
        waiters.add(new Waiting(w, System.nanoTime() + waitTimeout.toNanos()));
        if (timer == null) {
            timer = connector.loop().schedule(this::timedOut, waitTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        if (all.size() < maxSize) {
            open();
        }
    }

    /** Fails the waiters whose time is up, then waits for the deadline of the first one left. */
    private void timedOut() {
        timer = null;
        long now = System.nanoTime();
        while (!waiters.isEmpty() && waiters.peek().deadline() - now <= 0) {
            Waiter w = waiters.poll().waiter();
            org.slf4j.LoggerFactory.getLogger(ServerPool.class).info("router: pool {} exhausted: {}", key, all);
            String why = "no server connection to " + key + " came free within " + waitTimeout.toMillis()
                    + " ms (router pool_size " + maxSize + budget.holdsBack(key).map(l -> "; " + l).orElse("") + ")";
            w.failed(Messages.error(io.netty.buffer.ByteBufAllocator.DEFAULT, "FATAL", "53300", why), why);
        }
        if (!waiters.isEmpty()) {
            timer = connector.loop().schedule(this::timedOut, waiters.peek().deadline() - now, TimeUnit.NANOSECONDS);
        }
    }

    private void open() {
        if (!budget.open(key)) {
            return; // the user's other pools on this node hold its limit: a waiter gets one when one of theirs goes
        }
        ServerConnection s = connector.connect(key, credentials, this);
        s.countBytes(bytes);
        all.add(s);
    }

    /** One of the user's connections to this node went: a waiter held back by the user's limit may get one now. */
    void retry() {
        if (!waiters.isEmpty() && all.size() < maxSize) {
            open();
        }
    }

    /** Closes one idle connection, so that another pool of the same user and node may open one; false if none is idle. */
    boolean closeIdle(String reason) {
        ServerConnection s = idle.poll();
        if (s == null) {
            return false;
        }
        forget(s);
        s.close(reason);
        return true;
    }

    private void forget(ServerConnection s) {
        if (all.remove(s)) {
            budget.gone(key);
        }
    }

    /** A reload's pool size: more connections for clients waiting now, or idle ones closed down to the new size. */
    void resize(int size) {
        maxSize = size;
        for (int i = 0; i < waiters.size() && all.size() < maxSize; i++) {
            open();
        }
        while (all.size() > maxSize && !idle.isEmpty()) {
            ServerConnection s = idle.pop();
            forget(s);
            s.close("the pool was made smaller (reload)");
        }
    }

    /** A linked connection whose client is done with it: to the next waiter, else idle. */
    void release(ServerConnection s) {
        if (s.state() == ServerConnection.State.CLOSED) {
            return;
        }
        if (!all.contains(s)) {
            s.close("its pool was closed");
            return;
        }
        if ((all.size() > maxSize || budget.wantedElsewhere(key)) && waiters.isEmpty()) {
            String reason = all.size() > maxSize ? "the pool was made smaller (reload)" : "another pool of its user waits (router.user_pool_size)";
            s.idle();
            forget(s);
            s.close(reason);
            return;
        }
        s.idle();
        Waiting w = waiters.poll();
        if (w != null) {
            w.waiter().granted(s);
        } else {
            idle.push(s);
        }
    }

    /** Linked connections: transactions (or sessions) in progress. */
    int busy() {
        return all.size() - idle.size();
    }

    int size() {
        return all.size();
    }

    int waiting() {
        return waiters.size();
    }

    /** Closes every connection (the server left its role): linked clients hear {@code reason}. */
    void closeAll(String reason) {
        for (ServerConnection s : Set.copyOf(all)) {
            s.close(reason);
        }
        idle.clear();
    }

    @Override
    public void loggedIn(ServerConnection s) {
        release(s);
    }

    @Override
    public void loginFailed(ServerConnection s, ByteBuf error, String why) {
        forget(s);
        // what stopped this login stops the others waiting for the same server, user and database
        while (!waiters.isEmpty()) {
            Waiting w = waiters.poll();
            if (s.wasUnreachable()) {
                unreachable.waiting(w.waiter(), why);
            } else {
                w.waiter().failed(error == null ? null : error.retainedDuplicate(), why);
            }
        }
        if (error != null) {
            error.release();
        }
    }

    @Override
    public void closed(ServerConnection s) {
        forget(s);
        idle.remove(s);
        if (!waiters.isEmpty() && all.size() < maxSize) {
            open();
        }
    }

    @Override
    public void reset(ServerConnection s) {
        release(s);
    }

    @Override
    public void error(ServerConnection s) {
        errors++;
    }

    /** ErrorResponses the servers of this pool sent its clients. */
    long errors() {
        return errors;
    }
}
