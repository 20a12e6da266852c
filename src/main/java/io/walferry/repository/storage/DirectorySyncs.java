package io.walferry.repository.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Directory fsyncs shared by the commits that ask for one at the same time (group commit): a commit that asks while
 * an fsync of its directory runs waits for the next one, which covers every commit that asked meanwhile. Each call
 * returns only after an fsync of the directory that began after the call did, so whatever the caller changed in the
 * directory before calling is durable, as with an fsync of its own. A failed fsync is thrown to the caller that ran
 * it; the others it would have covered run one of their own.
 */
final class DirectorySyncs {
    /** Makes a directory's entries durable. */
    interface Fsync {
        void fsync(Path directory) throws IOException;
    }

    /** Directories written most recently; an evicted one still serves the calls that hold it. */
    private static final int KEPT = 16;

    private final Fsync fsync;
    private final Map<Path, Group> groups = new LinkedHashMap<>(KEPT, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Group> eldest) {
            return size() > KEPT;
        }
    };

    DirectorySyncs(Fsync fsync) {
        this.fsync = fsync;
    }

    /** Returns once an fsync of {@code directory} that began after this call has succeeded. */
    void sync(Path directory) throws IOException {
        Group g;
        synchronized (groups) {
            g = groups.computeIfAbsent(directory, Group::new);
        }
        g.sync();
    }

    private final class Group {
        private final Path directory;
        /** Calls so far, each numbered. */
        private long asked;
        /** Every call numbered up to this is covered by an fsync that succeeded. */
        private long covered;
        private boolean running;

        Group(Path directory) {
            this.directory = directory;
        }

        void sync() throws IOException {
            long mine;
            long upTo;
            synchronized (this) {
                mine = ++asked;
                while (running && covered < mine) {
                    waitHere();
                }
                if (covered >= mine) {
                    return;
                }
                // none runs, and none that ran covered this call (it began before, or failed): run one, for every
                // call numbered so far, all of which asked before it begins
                running = true;
                upTo = asked;
            }
            boolean done = false;
            try {
                fsync.fsync(directory);
                done = true;
            } finally {
                synchronized (this) {
                    running = false;
                    if (done) {
                        covered = Math.max(covered, upTo);
                    }
                    notifyAll();
                }
            }
        }

        private void waitHere() throws IOException {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for an fsync of " + directory);
            }
        }
    }
}
