package io.walferry.failure;

/**
 * An error that walferry explains to its user in one line: what went wrong, and a hint naming the fix.
 * The CLI prints {@link #oneLine()} and exits with {@link #exitCode()}; the stack trace only with --debug.
 */
public class WalferryException extends RuntimeException {
    private final ExitCode exitCode;
    private final String hint;

    public WalferryException(ExitCode exitCode, String message, String hint) {
        this(exitCode, message, hint, null);
    }

    public WalferryException(ExitCode exitCode, String message, String hint, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    /** The fix, or null when the message says it all. */
    public String hint() {
        return hint;
    }

    public String oneLine() {
        return hint == null || hint.isBlank() ? getMessage() : getMessage() + " (hint: " + hint + ")";
    }

    public static WalferryException config(String message, String hint) {
        return new WalferryException(ExitCode.CONFIG, message, hint);
    }

    public static WalferryException repository(String message, String hint, Throwable cause) {
        return new WalferryException(ExitCode.REPOSITORY, message, hint, cause);
    }

    public static WalferryException refused(String message, String hint) {
        return new WalferryException(ExitCode.REFUSED, message, hint);
    }

    public static WalferryException postgres(String message, String hint, Throwable cause) {
        return new WalferryException(ExitCode.POSTGRES, message, hint, cause);
    }
}
