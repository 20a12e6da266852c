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
            w.failed(null, "no server connection to " + key + " came free within " + waitTimeout.toMillis()
                    + " ms (router pool_size " + maxSize + ")");
        }
        if (!waiters.isEmpty()) {
            timer = connector.loop().schedule(this::timedOut, waiters.peek().deadline() - now, TimeUnit.NANOSECONDS);
        }
    }

    private void open() {
        all.add(connector.connect(key, credentials, this));
    }

    /** A reload's pool size: more connections for clients waiting now, or idle ones closed down to the new size. */
    void resize(int size) {
        maxSize = size;
        for (int i = 0; i < waiters.size() && all.size() < maxSize; i++) {
            open();
        }
        while (all.size() > maxSize && !idle.isEmpty()) {
            ServerConnection s = idle.pop();
            all.remove(s);
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
        if (all.size() > maxSize && waiters.isEmpty()) {
            s.idle();
            all.remove(s);
            s.close("the pool was made smaller (reload)");
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
        all.remove(s);
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
        all.remove(s);
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
