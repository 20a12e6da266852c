package io.walferry.repository;

/** What storing a file in a repository did. */
public enum PutOutcome {
    /** The file is now stored. */
    STORED,
    /** An identical, intact copy was stored already. */
    ALREADY_STORED
}
