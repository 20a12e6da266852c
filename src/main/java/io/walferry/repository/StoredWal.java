package io.walferry.repository;

import io.walferry.postgres.WalFileName;

/** One WAL file in a repository listing, with its stored size. */
public record StoredWal(WalFileName name, long storedBytes) {
}
