package io.walferry.failure;

/**
 * An error that walferry explains to its user in one line: what went wrong, and a hint naming the fix. Its
 * {@link #kind()} is what callers match on; the command line prints {@link #oneLine()} and exits with the code of
 * that kind; the stack trace only with --debug.
 */
public class WalferryException extends RuntimeException {
    private final Failure kind;
    private final String hint;

    public WalferryException(Failure kind, String message, String hint) {
        this(kind, message, hint, null);
    }

    public WalferryException(Failure kind, String message, String hint, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.hint = hint;
    }

    public Failure kind() {
        return kind;
    }

    /** The fix, or null when the message says it all. */
    public String hint() {
        return hint;
    }

    public String oneLine() {
        return hint == null || hint.isBlank() ? getMessage() : getMessage() + " (hint: " + hint + ")";
    }

    /** The same failure as another kind: a caller that knows better what it means here. */
    public WalferryException as(Failure other) {
        return new WalferryException(other, getMessage(), hint, this);
    }

    public static WalferryException config(String message, String hint) {
        return new WalferryException(Failure.CONFIG, message, hint);
    }

    public static WalferryException repository(String message, String hint, Throwable cause) {
        return new WalferryException(Failure.REPOSITORY, message, hint, cause);
    }

    public static WalferryException refused(String message, String hint) {
        return new WalferryException(Failure.REFUSED, message, hint);
    }

    public static WalferryException postgres(String message, String hint, Throwable cause) {
        return new WalferryException(Failure.POSTGRES, message, hint, cause);
    }

    public static WalferryException interrupted(String what) {
        Thread.currentThread().interrupt();
        return new WalferryException(Failure.INTERRUPTED, "interrupted while " + what, null);
    }
}
