package io.walferry.logical;

import io.walferry.postgres.logical.TableChecksum.Sum;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cutover's verdict, table by table: equal when the target has as many rows as the source and the same checksum. Pure.
 *
 * @param tables every table of the stream, in the order given
 */
public record CutoverComparison(List<Table> tables) {
    public CutoverComparison {
        tables = List.copyOf(tables);
    }

    /**
     * One table: {@code problem} empty when it is equal.
     *
     * @param target empty where the target lacks the table (or a column of the source's)
     */
    public record Table(String name, Sum source, Optional<Sum> target, Optional<String> problem) {
    }

    public static CutoverComparison compare(List<String> tables, Map<String, Sum> source, Map<String, Optional<Sum>> target) {
        List<Table> result = new ArrayList<>();
        for (String t : tables) {
            Sum s = source.get(t);
            Optional<Sum> d = target.getOrDefault(t, Optional.empty());
            Optional<String> problem;
            if (d.isEmpty()) {
                problem = Optional.of("missing on the target (or lacks a column of the source's)");
            } else if (d.get().rows() != s.rows()) {
                long diff = d.get().rows() - s.rows();
                problem = Optional.of(s.rows() + " rows on the source, " + d.get().rows() + " on the target ("
                        + (diff > 0 ? diff + " more" : -diff + " fewer") + ")");
            } else if (!d.get().checksum().equals(s.checksum())) {
                problem = Optional.of("as many rows (" + s.rows() + "), but their contents differ (checksum " + s.checksum() + " on the source, "
                        + d.get().checksum() + " on the target)");
            } else {
                problem = Optional.empty();
            }
            result.add(new Table(t, s, d, problem));
        }
        return new CutoverComparison(result);
    }

    public boolean equal() {
        return tables.stream().allMatch(t -> t.problem().isEmpty());
    }

    public List<Table> mismatches() {
        return tables.stream().filter(t -> t.problem().isPresent()).toList();
    }
}
