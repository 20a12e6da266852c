package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CopyTextTest {
    private static final ChangeSql.Shape INSERT = ChangeSql.Shape.of("insert", ChangeSql.Action.INSERT, List.of(new QualifiedName("public", "t")));

    private static String copy(List<String>... rows) {
        return new String(CopyText.rows(Arrays.stream(rows).map(r -> ChangeSql.Change.of(INSERT, r)).toList()), StandardCharsets.UTF_8);
    }

    @Test
    void tabsBetweenValues_aLinePerRow_nullAsBackslashN() {
        assertThat(copy(Arrays.asList("1", null, "x"), Arrays.asList("2", "", "NULL"))).isEqualTo("1\t\\N\tx\n2\t\tNULL\n");
    }

    @Test
    void backslashesAndLineBreaksAndTabsInAValueAreEscaped_otherTextPassesUnchanged() {
        assertThat(copy(List.of("a\\b", "line\nbreak\r", "tab\there", "\\.", "ü ✓ \"q\" 'q' {x,y}")))
                .isEqualTo("a\\\\b\tline\\nbreak\\r\ttab\\there\t\\\\.\tü ✓ \"q\" 'q' {x,y}\n");
    }

    @Test
    void longValuesGrowTheBuffer() {
        String backslashes = "\\".repeat(50_000);
        assertThat(copy(List.of(backslashes), List.of(backslashes))).isEqualTo(("\\".repeat(100_000) + "\n").repeat(2));
        assertThat(CopyText.rows(List.of())).isEmpty();
    }
}
