package io.walferry.failure;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A time by which something has to happen, and the wait for it: look, and while it has not happened, pause and look
 * again until the deadline has passed. What did not happen in time fails as a typed failure with one line; an
 * interrupted wait fails as {@link Failure#INTERRUPTED}, the thread's interrupt status kept.
 */
public final class Deadline {
    /** How long to pause between looks unless told otherwise. */
    private static final Duration PAUSE = Duration.ofMillis(250);

    private final Clock clock;
    private final long startNanos;
    private final long atNanos;
    private final Duration pause;

    private Deadline(Clock clock, long startNanos, long atNanos, Duration pause) {
        this.clock = clock;
        this.startNanos = startNanos;
        this.atNanos = atNanos;
        this.pause = pause;
    }

    /** A deadline {@code timeout} from now, looking every quarter second. */
    public static Deadline after(Duration timeout) {
        return after(timeout, Clock.SYSTEM);
    }

    static Deadline after(Duration timeout, Clock clock) {
        long now = clock.nanoTime();
        return new Deadline(clock, now, now + timeout.toNanos(), PAUSE);
    }

    /** The same deadline, pausing {@code interval} between looks. */
    public Deadline lookingEvery(Duration interval) {
        return new Deadline(clock, startNanos, atNanos, interval);
    }

    public boolean passed() {
        return clock.nanoTime() - atNanos > 0;
    }

    /** How long since the deadline was set. */
    public Duration elapsed() {
        return Duration.ofNanos(clock.nanoTime() - startNanos);
    }

    /** Waits before the next look. */
    public void pause() {
        try {
            clock.sleep(pause);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("waiting");
        }
    }

    /** Waits before the next look, or fails with {@code timedOut} once the deadline has passed. */
    public void pauseOr(Failure kind, String timedOut, String hint) {
        if (passed()) {
            throw new WalferryException(kind, timedOut, hint);
        }
        pause();
    }

    /** Looks until {@code condition} holds (true) or the deadline has passed without it (false). */
    public boolean await(BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            if (passed()) {
                return false;
            }
            pause();
        }
        return true;
    }

    /** Looks until {@code condition} holds; fails with {@code timedOut} when the deadline passes first. */
    public void awaitOr(BooleanSupplier condition, Failure kind, String timedOut, String hint) {
        awaitOr(condition, () -> new WalferryException(kind, timedOut, hint));
    }

    /** As {@link #awaitOr(BooleanSupplier, Failure, String, String)}, the failure made when it happens (it may say what was seen last). */
    public void awaitOr(BooleanSupplier condition, Supplier<WalferryException> timedOut) {
        if (!await(condition)) {
            throw timedOut.get();
        }
    }

    /** Pauses for {@code d}, on the system's clock; an interrupt fails as {@link Failure#INTERRUPTED}. */
    public static void sleep(Duration d) {
        try {
            Clock.SYSTEM.sleep(d);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("waiting");
        }
    }
}
