package io.walferry.router;

/**
 * Where the auto endpoint may run a client's SQL: on a replica only when it is provably read-only; else on the primary,
 * and for session state ({@code SET}, {@code LISTEN}, {@code PREPARE}, ...) every later transaction of the client too.
 *
 * @param readOnly may run on a replica
 * @param sticky   the client's session keeps to the primary from now on
 * @param reason   why, for the log and the tests
 */
record StatementRoute(boolean readOnly, boolean sticky, String reason) {
    static StatementRoute read(String reason) {
        return new StatementRoute(true, false, reason);
    }

    static StatementRoute primary(String reason) {
        return new StatementRoute(false, false, reason);
    }

    static StatementRoute session(String reason) {
        return new StatementRoute(false, true, reason);
    }

    /** Both parts run where the stricter says: the primary when either needs it (its reason first), sticky when either is. */
    StatementRoute and(StatementRoute other) {
        if (readOnly && other.readOnly) {
            return this;
        }
        StatementRoute deciding = readOnly ? other : this;
        return new StatementRoute(false, sticky || other.sticky, deciding.reason);
    }
}
