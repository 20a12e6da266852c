package io.walferry.logical;

/**
 * Rows and transactions applied per second, over the current window of at least {@value #WINDOW_SECONDS} seconds and
 * the one before it, so that the figure neither jumps at a window's start nor holds on to the distant past. Pure.
 */
final class ApplyRate {
    static final long WINDOW_SECONDS = 10;
    private static final long WINDOW = WINDOW_SECONDS * 1_000_000_000L;

    private long windowStart;
    private long rows;
    private long transactions;
    private long previousRows;
    private long previousTransactions;
    private long previousLength;

    ApplyRate(long nowNanos) {
        this.windowStart = nowNanos;
    }

    void add(long nowNanos, long rows, long transactions) {
        if (nowNanos - windowStart >= WINDOW) {
            previousRows = this.rows;
            previousTransactions = this.transactions;
            previousLength = nowNanos - windowStart;
            windowStart = nowNanos;
            this.rows = 0;
            this.transactions = 0;
        }
        this.rows += rows;
        this.transactions += transactions;
    }

    double rowsPerSecond(long nowNanos) {
        return perSecond(rows + previousRows, nowNanos);
    }

    double transactionsPerSecond(long nowNanos) {
        return perSecond(transactions + previousTransactions, nowNanos);
    }

    private double perSecond(long count, long nowNanos) {
        long length = nowNanos - windowStart + previousLength;
        return length <= 0 ? 0 : count * 1e9 / Math.max(length, 1_000_000_000L);
    }
}
