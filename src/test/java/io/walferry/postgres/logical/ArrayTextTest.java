package io.walferry.postgres.logical;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ArrayTextTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachValueQuotedWithItsQuotesAndBackslashesEscaped_nullUnquoted() {
        assertThat(ArrayText.of(Arrays.asList(utf8("1"), null, utf8("a \"b\" \\c"), utf8("NULL"), utf8(""), utf8("{x,y}")), ','))
                .isEqualTo("{\"1\",NULL,\"a \\\"b\\\" \\\\c\",\"NULL\",\"\",\"{x,y}\"}");
    }

    @Test
    void nonAsciiTextPassesUnchanged_andTheTypesDelimiterSeparates() {
        assertThat(ArrayText.of(List.of(utf8("ü ✓ ß"), utf8("\\x00ff")), ';')).isEqualTo("{\"ü ✓ ß\";\"\\\\x00ff\"}");
        assertThat(ArrayText.of(List.of(), ',')).isEqualTo("{}");
    }

    @Test
    void longValuesGrowTheBuffer() {
        String quotes = "\"".repeat(10_000);
        assertThat(ArrayText.of(List.of(utf8(quotes), utf8(quotes)), ','))
                .isEqualTo("{\"" + "\\\"".repeat(10_000) + "\",\"" + "\\\"".repeat(10_000) + "\"}");
    }
}
