package io.walferry.monitor;

import io.walferry.postgres.Lsn;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;

/**
 * When the primary's WAL reached each position, as this process saw it: the answer to "how long ago was the first WAL
 * a replica has not replayed written?", which is a replica's lag in seconds. A replica that has replayed all the WAL the
 * primary has is 0 s behind however long the primary has been idle; one that stopped replaying falls behind from the
 * moment the primary wrote past it. Positions are sampled (every second by {@link PrimarySampler}), so a lag is at most
 * one sample interval short; times are this process's monotonic clock, so the servers' clocks do not matter.
 *
 * <p>Only a position's first sighting is kept; samples older than the retention are dropped, except the newest of them.
 * A position lower than the last one (another primary, a rewound one) starts the clock again.
 */
public final class WalClock {
    /** A lag, and whether it is only a lower bound: the replica was already behind when the first sample was taken. */
    public record Lag(long bytes, double seconds, boolean atLeast) {
    }

    private record Sample(long lsn, long nanos) {
    }

    private final long retentionNanos;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    public WalClock(java.time.Duration retention) {
        this.retentionNanos = retention.toNanos();
    }

    /** The primary's position {@code lsn} was seen at {@code nanos} (System.nanoTime). */
    public synchronized void saw(Lsn lsn, long nanos) {
        Sample last = samples.peekLast();
        if (last != null && Long.compareUnsigned(lsn.value(), last.lsn()) < 0) {
            samples.clear();
            last = null;
        }
        if (last == null || Long.compareUnsigned(lsn.value(), last.lsn()) > 0) {
            samples.addLast(new Sample(lsn.value(), nanos));
        }
        // Drop what is past the retention, but keep the newest such sample: it bounds when what follows it was written.
        while (samples.size() > 1) {
            Iterator<Sample> it = samples.iterator();
            it.next();
            Sample second = it.next();
            if (nanos - second.nanos() <= retentionNanos) {
                break;
            }
            samples.removeFirst();
        }
    }

    /** Forgets every sample (the primary changed). */
    public synchronized void reset() {
        samples.clear();
    }

    /** The primary's newest position seen. */
    public synchronized Optional<Lsn> newest() {
        Sample last = samples.peekLast();
        return last == null ? Optional.empty() : Optional.of(new Lsn(last.lsn()));
    }

    /**
     * How far behind a replica that replayed up to {@code replayed} is at {@code nowNanos}: empty before the first sample;
     * 0 once it holds the newest position; else since the first sample past its position.
     */
    public synchronized Optional<Lag> lag(Lsn replayed, long nowNanos) {
        Sample last = samples.peekLast();
        if (last == null) {
            return Optional.empty();
        }
        if (Long.compareUnsigned(replayed.value(), last.lsn()) >= 0) {
            return Optional.of(new Lag(0, 0, false));
        }
        boolean first = true;
        for (Sample s : samples) {
            if (Long.compareUnsigned(s.lsn(), replayed.value()) > 0) {
                return Optional.of(new Lag(last.lsn() - replayed.value(), Math.max(0, nowNanos - s.nanos()) / 1e9, first));
            }
            first = false;
        }
        throw new IllegalStateException("unreachable: the newest sample is past the replayed position");
    }
}
