package io.walferry.repository;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

/** A stored object that cannot be handed over: damaged, truncated or altered. */
public final class CorruptObjectException extends WalferryException {
    private final String problem;

    public CorruptObjectException(String repository, String key, String problem) {
        super(Failure.CORRUPT, "object " + key + " in repository " + repository + " " + problem,
                "nothing was handed over; restore the object from another repository or move it aside");
        this.problem = problem;
    }

    /** What is wrong with the object, e.g. "payload does not match its CRC-32C: the stored bytes were altered". */
    public String problem() {
        return problem;
    }
}
