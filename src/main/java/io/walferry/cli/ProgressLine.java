package io.walferry.cli;

import io.walferry.auxdir.AuxSync;
import io.walferry.backup.BaseBackup;
import io.walferry.logical.StreamCreate;

import java.io.PrintWriter;

/**
 * A progress line on a terminal for long operations (backup, restore, aux sync), redrawn at most every half second;
 * nothing when the output is not a terminal or is JSON, so scripts and logs stay clean.
 */
final class ProgressLine implements BaseBackup.Progress, AuxSync.Progress, StreamCreate.Progress {
    private final PrintWriter err;
    private final String verb;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressLine(PrintWriter err, String verb, boolean json) {
        this.err = err;
        this.verb = verb;
        this.enabled = !json && System.console() != null;
    }

    @Override
    public synchronized void copied(long done, long total) {
        long now = System.nanoTime();
        if (!enabled || (now - lastDraw < 500_000_000L && done < total)) {
            return;
        }
        lastDraw = now;
        double secs = Math.max(0.001, (now - start) / 1e9);
        int width = 30;
        int filled = total == 0 ? width : (int) (width * done / total);
        err.printf("\r%s [%s%s] %s / %s (%d%%) %s/s   ", verb, "#".repeat(filled), " ".repeat(width - filled), Output.bytes(done),
                Output.bytes(total), total == 0 ? 100 : 100 * done / total, Output.bytes((long) (done / secs)));
        err.flush();
    }

    void finish() {
        if (enabled) {
            err.println();
            err.flush();
        }
    }
}
