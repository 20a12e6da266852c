package io.walferry.backup;

import io.walferry.testing.Malformed;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The manifest parser under malformed input: every variant is a checked manifest or an IOException saying why not. */
class MalformedManifestTest {
    private static final int TRIES = 3000;
    private static final Pattern VALUE = Pattern.compile(":\\s*(\"[^\"]*\"|-?\\d+|true|false|null)");
    private static final List<String> ODD_VALUES = List.of("\"../../etc/passwd\"", "\"/etc/passwd\"", "\"\"", "\"a\\u0000b\"", "-1", "0",
            "9223372036854775807", "-9223372036854775808", "1e308", "18446744073709551616", "null", "true", "[]", "{}", "[null]",
            "\"pg_tblspc/1/x\"", "\"\\n\"", "[[[[[[[[[[]]]]]]]]]]", "\"" + "a".repeat(5000) + "\"");

    static BackupManifest valid() {
        return new BackupManifest(1, "20260101T000000Z", "main", "1", 150000, 1, "0/1000028", "0/1000138", "000000010000000000000001",
                "000000010000000000000001", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", false, "pg1", "lz4", 1 << 20,
                List.of("base", "base/1", "global", "pg_tblspc", "pg_tblspc/16390/", "pg_tblspc/16390/PG_15"),
                List.of(new DataDirectoryScan.Tablespace("16390", "/srv/ts1")),
                List.of(new BackupManifest.FileEntry("base/1/1259", 3 << 20, List.of("xxh64:0123456789abcdef", "xxh64:0123456789abcdee",
                                "xxh64:0123456789abcded")),
                        new BackupManifest.FileEntry("global/pg_control", 8192, List.of("xxh64:0000000000000001")),
                        new BackupManifest.FileEntry("pg_tblspc/16390/PG_15/5/16384", 10, List.of("xxh64:0000000000000002"))));
    }

    /** One value of the JSON replaced by an odd one. */
    private static byte[] oddValue(String json, long seed) {
        Random r = new Random(seed);
        Matcher m = VALUE.matcher(json);
        List<int[]> spans = m.results().map(x -> new int[]{x.start(1), x.end(1)}).toList();
        int[] span = spans.get(r.nextInt(spans.size()));
        return (json.substring(0, span[0]) + ODD_VALUES.get(r.nextInt(ODD_VALUES.size())) + json.substring(span[1]))
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aValidManifestParses() {
        assertThatCode(() -> BackupManifest.fromJson(valid().toJson())).doesNotThrowAnyException();
    }

    @Test
    void everyVariantIsACheckedManifestOrAnIoError() throws IOException {
        byte[] json = valid().toJson();
        String text = new String(json, StandardCharsets.UTF_8);
        for (int seed = 0; seed < TRIES; seed++) {
            for (byte[] input : new byte[][]{Malformed.variant(json, seed), oddValue(text, seed)}) {
                int s = seed;
                Malformed.readsOrFailsTyped("manifest variant of seed " + seed, Duration.ofSeconds(10), 32L << 20, () -> {
                    BackupManifest m = BackupManifest.fromJson(input);
                    // what parsed was checked: a second check finds nothing
                    ManifestCheck.check(m);
                    assertThat(m.files()).as("seed " + s).allSatisfy(f -> assertThat(f.path().split("/")).doesNotContain("..", "", "."));
                }, IOException.class);
            }
        }
    }
}
