package io.walferry.logical;

import java.time.Duration;

/**
 * When the open group of whole source transactions commits on the target (with the stream's position): once it is
 * large or old enough, or once the stream has been quiet for a moment. Committing at every pause of the stream, however
 * short, made a backlog's groups small: each of them a synchronous commit and a round trip. A short quiet spell
 * means the source has nothing more for now, and the group commits without delaying a quiet stream's changes for long.
 * Pure.
 *
 * @param maxTransactions source transactions in a group, at most
 * @param maxRows         rows in a group, at most
 * @param maxAge          how long a group stays open, at most
 * @param quiet           nothing received for this long commits the group
 */
record GroupPolicy(int maxTransactions, long maxRows, Duration maxAge, Duration quiet) {
    static final GroupPolicy DEFAULT = new GroupPolicy(10_000, 100_000, Duration.ofMillis(500), Duration.ofMillis(20));

    /**
     * @param inTransaction  a source transaction is half received (a group holds whole ones only)
     * @param transactions   source transactions in the open group
     * @param rows           their rows
     * @param ageNanos       since the group's first message
     * @param quietNanos     since the last message received
     */
    boolean commitNow(boolean inTransaction, int transactions, long rows, long ageNanos, long quietNanos) {
        if (inTransaction || transactions == 0) {
            return false;
        }
        return transactions >= maxTransactions || rows >= maxRows || ageNanos >= maxAge.toNanos() || quietNanos >= quiet.toNanos();
    }
}
