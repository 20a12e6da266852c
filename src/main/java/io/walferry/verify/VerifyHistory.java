package io.walferry.verify;

import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last verify runs of one repository, as info shows them: the newest run, the newest that read everything (when
 * that is an older one), and whether each backup came out intact, by the newest run that read it (a run for one
 * backup says nothing of the others).
 */
public final class VerifyHistory {
    /** Newest first, back to the newest run that read everything. */
    private final List<VerifyRecord> records;
    /** Why the records cannot be read; empty when they can, or when there are none. */
    private final Optional<String> problem;

    VerifyHistory(List<VerifyRecord> records, Optional<String> problem) {
        this.records = List.copyOf(records);
        this.problem = problem;
    }

    public static VerifyHistory of(Repository repository) {
        try {
            return new VerifyHistory(VerifyRecord.recent(repository), Optional.empty());
        } catch (WalferryException e) {
            return new VerifyHistory(List.of(), Optional.of(e.getMessage()));
        }
    }

    public Optional<String> problem() {
        return problem;
    }

    /** The newest run; empty when verify never ran here (or its records cannot be read). */
    public Optional<VerifyRecord> last() {
        return records.stream().findFirst();
    }

    /** The newest run that read everything, when it is not {@link #last()}. */
    public Optional<VerifyRecord> lastFullBefore() {
        if (records.size() < 2) {
            return Optional.empty();
        }
        VerifyRecord full = records.get(records.size() - 1);
        return full.full() ? Optional.of(full) : Optional.empty();
    }

    /** The backup as the newest run that read it found it; empty when none did (it was taken after, or verify never ran). */
    public Optional<VerifyRecord.RecordedBackup> backup(String id) {
        return records.stream().map(r -> r.backup(id)).flatMap(Optional::stream).findFirst();
    }

    /** How many findings of each kind a run made, every kind listed, in the order verify reports them. */
    public static Map<String, Long> counts(VerifyRecord r) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Finding.Kind k : Finding.Kind.values()) {
            counts.put(k.label(), r.findings().stream().filter(f -> f.kind().equals(k.label())).count());
        }
        return counts;
    }
}
