package io.walferry.postgres;

/**
 * The primary's WAL insert position, asked (by the router, on the server connection a client's transaction ran on)
 * once that transaction has ended: the end of its commit record lies at or before it, whatever synchronous_commit says.
 */
public final class InsertPosition {
    /** The query: one row, one text column. */
    public static final String QUERY = "select pg_current_wal_insert_lsn()::text";

    private InsertPosition() {
    }

    public static Lsn parse(String text) {
        return Lsn.parse(text);
    }
}
