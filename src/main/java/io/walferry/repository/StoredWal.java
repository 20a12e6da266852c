package io.walferry.repository;

import io.walferry.postgres.WalFileName;

import java.time.Instant;

/** One WAL file in a repository listing, with its stored size and when it was stored. */
public record StoredWal(WalFileName name, long storedBytes, Instant stored) {
}
