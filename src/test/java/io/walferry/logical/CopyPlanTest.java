package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.SourceTables.TableColumn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CopyPlanTest {
    @Test
    void largeTablesInPageRangesTheLargestFirst_binaryOnlyForBuiltInTypes_generatedColumnsLeftOut() {
        long big = 5 * CopyPlan.RANGE_BYTES + 100 * 8192;
        Table large = new Table(1, new QualifiedName("public", "accounts"), 'r', 'p', 'd', true, false, true, true, big, big / 8192,
                List.of(new TableColumn("id", 23, "integer", false, Optional.empty()),
                        new TableColumn("total", 1700, "numeric", true, Optional.empty())));
        Table small = new Table(2, new QualifiedName("public", "moods"), 'r', 'p', 'd', true, false, true, true, 8192, 1,
                List.of(new TableColumn("m", 16390, "mood", false, Optional.of(new QualifiedName("public", "mood")))));
        Table medium = TableChoiceTest.table("public", "orders", 'r', 'p', 'd', true, CopyPlan.RANGE_BYTES);
        List<CopyPlan.Work> plan = CopyPlan.plan(List.of(small, large, medium));
        List<CopyPlan.Work> ranges = plan.stream().filter(w -> w.item().table().name().equals("accounts")).toList();
        assertThat(ranges).hasSize(6);
        assertThat(ranges).allSatisfy(w -> {
            assertThat(w.item().columns()).containsExactly("id");
            assertThat(w.item().binary()).isTrue();
        });
        // contiguous ranges of pages from the first to an open end
        List<CopyPlan.Work> byStart = ranges.stream().sorted(java.util.Comparator.comparing(w -> w.item().fromPage().orElse(0L))).toList();
        assertThat(byStart.get(0).item().fromPage()).isEmpty();
        assertThat(byStart.get(5).item().toPage()).isEmpty();
        for (int i = 1; i < 6; i++) {
            assertThat(byStart.get(i).item().fromPage()).isEqualTo(byStart.get(i - 1).item().toPage());
        }
        assertThat(ranges.stream().mapToLong(CopyPlan.Work::bytes).sum()).isEqualTo(big);
        assertThat(plan.get(plan.size() - 1).item().table().name()).isEqualTo("moods");
        assertThat(plan.get(plan.size() - 1).item().binary()).isFalse();
        assertThat(plan.stream().filter(w -> w.item().table().name().equals("orders")).toList()).singleElement()
                .satisfies(w -> assertThat(w.item().fromPage()).isEmpty());
        for (int i = 1; i < plan.size(); i++) {
            assertThat(plan.get(i).bytes()).isLessThanOrEqualTo(plan.get(i - 1).bytes());
        }
    }
}
