package io.walferry.testing;

import java.time.Duration;

/**
 * A test client's own rhythm: a writer that retries every 50 ms, a sampler that looks each second for a minute. Not a
 * wait for an outcome (that is {@link Await}, with a deadline): the time here is the scenario's, not a guess.
 */
public final class Pace {
    private Pace() {
    }

    /** Something looked at on each sample; a failed assertion in it ends the observation. */
    public interface Look {
        void look() throws Exception;
    }

    /** Pauses the calling client for one beat; false if it was interrupted (it should stop then). */
    public static boolean pause(Duration beat) {
        try {
            Thread.sleep(beat.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Looks every {@code beat} for {@code span}: a property that must hold all along, or a worst case over the span. */
    public static void observe(Duration beat, Duration span, Look look) throws Exception {
        long end = System.nanoTime() + span.toNanos();
        while (System.nanoTime() < end) {
            look.look();
            if (!pause(beat)) {
                throw new AssertionError("interrupted while observing");
            }
        }
    }
}
