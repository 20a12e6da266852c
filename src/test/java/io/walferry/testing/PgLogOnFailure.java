package io.walferry.testing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Dumps the server logs of test PostgreSQL clusters to stderr when a test fails, because the log
 * usually holds the real cause and the cluster's directory is gone once the test has cleaned up.
 *
 * <p>Every {@link PgCluster} registers itself here on init and deregisters on close. JUnit calls
 * {@link #testFailed} only after the test's cleanup (try-with-resources, {@code @AfterEach}), so on
 * deregistration the tail of the log is kept as a snapshot and printed too. Snapshots are dropped
 * at the end of every watched test and capped in number, so unwatched tests cannot pile them up.
 */
public final class PgLogOnFailure implements TestWatcher {

    static final int TAIL_LINES = 100;
    private static final int MAX_SNAPSHOTS = 16;

    private static final List<PgCluster> LIVE = new ArrayList<>();
    private static final Deque<String> CLOSED_SNAPSHOTS = new ArrayDeque<>();

    static void register(PgCluster cluster) {
        synchronized (LIVE) {
            LIVE.add(cluster);
        }
    }

    /** Forgets {@code cluster}, keeping the tail of its log; call before its directory is deleted. */
    static void deregister(PgCluster cluster) {
        String snapshot = describe(cluster, "closed");
        synchronized (LIVE) {
            if (!LIVE.remove(cluster)) {
                return;
            }
            CLOSED_SNAPSHOTS.addLast(snapshot);
            while (CLOSED_SNAPSHOTS.size() > MAX_SNAPSHOTS) {
                CLOSED_SNAPSHOTS.removeFirst();
            }
        }
    }

    /** Prints the log tails of all live clusters and of recently closed ones to stderr. */
    public static void printLogs(String reason) {
        List<PgCluster> live;
        List<String> closed;
        synchronized (LIVE) {
            live = List.copyOf(LIVE);
            closed = List.copyOf(CLOSED_SNAPSHOTS);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("==== PostgreSQL logs (").append(reason).append("): ")
                .append(live.size()).append(" live, ").append(closed.size()).append(" recently closed ====\n");
        for (PgCluster c : live) {
            sb.append(describe(c, c.isRunning() ? "running" : "stopped"));
        }
        for (String s : closed) {
            sb.append(s);
        }
        sb.append("==== end of PostgreSQL logs ====\n");
        // One write, so that output from parallel tests does not interleave mid-log.
        System.err.print(sb);
        System.err.flush();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        printLogs("test failed: " + context.getDisplayName() + " - " + cause);
        clearSnapshots();
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        clearSnapshots();
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        clearSnapshots();
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        clearSnapshots();
    }

    private static void clearSnapshots() {
        synchronized (LIVE) {
            CLOSED_SNAPSHOTS.clear();
        }
    }

    private static String describe(PgCluster c, String state) {
        String tail;
        try {
            tail = c.logTail(TAIL_LINES);
        } catch (RuntimeException e) {
            tail = "<log unavailable: " + e + ">";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("---- cluster '").append(c.name()).append("' (").append(state)
                .append(", port ").append(c.port()).append(", log ").append(c.logFile())
                .append("), last ").append(TAIL_LINES).append(" lines ----\n")
                .append(tail);
        if (!tail.isEmpty() && !tail.endsWith("\n")) {
            sb.append('\n');
        }
        return sb.toString();
    }
}
