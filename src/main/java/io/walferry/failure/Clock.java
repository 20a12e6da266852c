package io.walferry.failure;

import java.time.Duration;

/** The time a wait or a retry is counted in, and how it pauses: the system's, or a test's that moves only when told. */
public interface Clock {
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            Thread.sleep(d);
        }
    };

    long nanoTime();

    void sleep(Duration d) throws InterruptedException;
}
