package io.walferry.repository.format;

import java.io.IOException;

/**
 * Bounds how many writes compress at the same time, separately from how many are in flight: the agent
 * lets {@code workers} pushes use the CPU while others wait on the disk (fsync, read-back, publish), so
 * that a core is never idle behind an I/O wait.
 */
public interface EncodeGate {
    EncodeGate NONE = new EncodeGate() {
        @Override
        public <T> T run(Step<T> step) throws IOException {
            return step.run();
        }
    };

    <T> T run(Step<T> step) throws IOException;

    /** The CPU-bound part of a write. */
    interface Step<T> {
        T run() throws IOException;
    }

    /** A gate that lets at most {@code permits} steps run at once. */
    static EncodeGate limit(int permits) {
        java.util.concurrent.Semaphore s = new java.util.concurrent.Semaphore(permits, true);
        return new EncodeGate() {
            @Override
            public <T> T run(Step<T> step) throws IOException {
                s.acquireUninterruptibly();
                try {
                    return step.run();
                } finally {
                    s.release();
                }
            }
        };
    }
}
