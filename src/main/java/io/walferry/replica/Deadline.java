package io.walferry.replica;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.time.Duration;

/** When a step of a promotion or a repoint has to be done by; polling waits a quarter second between looks. */
record Deadline(long atNanos) {
    static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos());
    }

    boolean passed() {
        return System.nanoTime() - atNanos > 0;
    }

    /** Waits before the next look, or fails with {@code timedOut} (PostgreSQL did not do it) once the deadline has passed. */
    void pauseOr(String timedOut, String hint) {
        if (passed()) {
            throw new WalferryException(Failure.POSTGRES, timedOut, hint);
        }
        pause();
    }

    /** Waits before the next look. */
    void pause() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "interrupted", null);
        }
    }
}
