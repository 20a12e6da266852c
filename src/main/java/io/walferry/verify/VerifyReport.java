package io.walferry.verify;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one verify run found, per repository.
 *
 * @param scope "all", or "backup ID"
 */
public record VerifyReport(Instant startedAt, Instant finishedAt, String scope, List<RepositoryVerification> repositories) {
    public VerifyReport {
        repositories = List.copyOf(repositories);
    }

    /** Every finding that is left (after --repair, those it did not repair). */
    public List<Finding> findings() {
        return repositories.stream().flatMap(r -> r.result().findings().stream()).toList();
    }

    public List<Repair> repairs() {
        return repositories.stream().flatMap(r -> r.repairs().stream()).toList();
    }

    public boolean ok() {
        return findings().isEmpty();
    }

    /** How many findings of each kind, every kind listed. */
    public Map<Finding.Kind, Long> counts() {
        Map<Finding.Kind, Long> counts = new EnumMap<>(Finding.Kind.class);
        for (Finding.Kind k : Finding.Kind.values()) {
            counts.put(k, findings().stream().filter(f -> f.kind() == k).count());
        }
        return counts;
    }

    VerifyReport with(List<RepositoryVerification> newRepositories) {
        return new VerifyReport(startedAt, Instant.now(), scope, newRepositories);
    }
}
