package io.walferry.cli;

import io.walferry.backup.TablespacePlacement;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;

/** What replica create and rejoin share: where a restore puts tablespaces, and how long the replica has to catch up (a picocli mixin). */
final class ReplicaStartOptions {
    @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the replica to catch up (default 600).")
    long timeoutSeconds;

    @Mixin
    TablespaceOptions tablespaces = new TablespaceOptions();

    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    TablespacePlacement placement() {
        return tablespaces.placement();
    }
}
