package io.walferry.logical;

import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.SourceTables.TableColumn;
import io.walferry.postgres.logical.TableCopy.Item;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How the initial copy divides its work: one item per table, a large table in ranges of pages (ctid ranges, read by TID
 * range scans) so that several sessions copy it at once; the largest first, so that the last item to finish is a
 * small one. A table is copied in binary where every column's type is built in (the binary forms of other types name
 * their OIDs, which differ between servers). Pure.
 */
public final class CopyPlan {
    /** A table larger than twice this is copied in ranges of about this size. */
    static final long RANGE_BYTES = 128L << 20;

    private CopyPlan() {
    }

    /** A work item and the bytes it is expected to move (for progress and ordering). */
    public record Work(Item item, long bytes) {
    }

    public static List<Work> plan(List<Table> tables) {
        List<Work> work = new ArrayList<>();
        for (Table t : tables) {
            List<String> columns = t.columns().stream().filter(c -> !c.generated()).map(TableColumn::name).toList();
            boolean binary = t.columns().stream().allMatch(TableColumn::builtIn);
            if (t.bytes() <= 2 * RANGE_BYTES || t.pages() < 2) {
                work.add(new Work(new Item(t.name(), columns, binary, Optional.empty(), Optional.empty()), t.bytes()));
                continue;
            }
            long ranges = (t.bytes() + RANGE_BYTES - 1) / RANGE_BYTES;
            long pagesPerRange = Math.max(1, t.pages() / ranges);
            for (long i = 0; i < ranges; i++) {
                long from = i * pagesPerRange;
                // the last range is open: the table may have grown since its size was read
                Optional<Long> to = i == ranges - 1 ? Optional.empty() : Optional.of(from + pagesPerRange);
                work.add(new Work(new Item(t.name(), columns, binary, i == 0 ? Optional.empty() : Optional.of(from), to),
                        i == ranges - 1 ? t.bytes() - from * (t.bytes() / t.pages()) : pagesPerRange * (t.bytes() / t.pages())));
            }
        }
        work.sort(Comparator.comparingLong(Work::bytes).reversed());
        return work;
    }
}
