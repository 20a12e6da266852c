package io.walferry.logical;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Set;

/**
 * Which failures of a running stream pass (a server restarting or out of reach, a slot still held by the previous
 * session, a table that sync-schema is copying): the stream waits and resumes from the target's position. Everything else stops it: a schema that drifted,
 * a row the target lacks, a privilege missing, a password refused. Pure.
 */
final class RunFailures {
    /** SQLSTATEs of conditions that end with time: the server shutting down or starting, a slot in use, resources, conflicts. */
    private static final Set<String> PASSING = Set.of("57P01", "57P02", "57P03", "55006", "40001", "40P01", "55P03", "53100", "53200",
            "53300", "53400", "25006");

    private RunFailures() {
    }

    static boolean passing(Throwable e) {
        if (e instanceof WalferryException w && w.kind() == Failure.FAILED) {
            return true; // not this time: a table logical sync-schema is copying
        }
        if (e instanceof WalferryException w && w.kind() != Failure.POSTGRES) {
            return false; // refused: drift, another applier; configuration
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                return state.startsWith("08") || PASSING.contains(state);
            }
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
