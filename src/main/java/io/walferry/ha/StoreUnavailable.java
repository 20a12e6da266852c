package io.walferry.ha;

/** The store did not answer within the retry timeout: no decision may rely on it this pass. */
public final class StoreUnavailable extends Exception {
    public StoreUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
