package io.walferry.logical;

import io.walferry.postgres.logical.TableChecksum.Sum;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CutoverComparisonTest {
    @Test
    void equalOnlyWhenEveryTableHasTheSameCountAndChecksum() {
        CutoverComparison c = CutoverComparison.compare(List.of("a", "b"), Map.of("a", new Sum(3, "10"), "b", new Sum(0, "0")),
                Map.of("a", Optional.of(new Sum(3, "10")), "b", Optional.of(new Sum(0, "0"))));
        assertThat(c.equal()).isTrue();
        assertThat(c.mismatches()).isEmpty();
    }

    @Test
    void saysPerTableWhatDiffers() {
        CutoverComparison c = CutoverComparison.compare(List.of("a", "b", "c", "d"),
                Map.of("a", new Sum(3, "10"), "b", new Sum(3, "10"), "c", new Sum(5, "7"), "d", new Sum(1, "1")),
                Map.of("a", Optional.of(new Sum(4, "12")), "b", Optional.of(new Sum(3, "11")), "c", Optional.of(new Sum(2, "7")),
                        "d", Optional.empty()));
        assertThat(c.equal()).isFalse();
        assertThat(c.tables()).extracting(CutoverComparison.Table::name).containsExactly("a", "b", "c", "d");
        assertThat(c.mismatches()).extracting(t -> t.problem().orElseThrow()).containsExactly(
                "3 rows on the source, 4 on the target (1 more)",
                "as many rows (3), but their contents differ (checksum 10 on the source, 11 on the target)",
                "5 rows on the source, 2 on the target (3 fewer)",
                "missing on the target (or lacks a column of the source's)");
    }
}
