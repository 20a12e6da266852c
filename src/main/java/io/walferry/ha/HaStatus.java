package io.walferry.ha;

import io.walferry.config.WalferryConfig;

import java.util.Optional;

/** The HA cluster as the store has it, for walferry status: the leader and each member's last decision. */
public final class HaStatus {
    private HaStatus() {
    }

    /** One read of the store; empty with the reason when it does not answer. */
    public record Seen(Optional<StoreView> view, Optional<String> unavailable) {
    }

    public static Seen read(WalferryConfig config) {
        try (ClusterStore store = EtcdStore.forCommand(config.ha().orElseThrow(), config.cluster())) {
            return new Seen(Optional.of(store.read()), Optional.empty());
        } catch (StoreUnavailable e) {
            return new Seen(Optional.empty(), Optional.of(e.getMessage()));
        }
    }
}
