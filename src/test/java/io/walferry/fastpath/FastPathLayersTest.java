package io.walferry.fastpath;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol package's place: it uses only config, failure and postgres; only cli reaches the agent; and cli
 * touches no protocol file, naming only the prefetcher's command line (PrefetcherProcess). Read from the sources,
 * so that a reference by a full name counts too.
 */
class FastPathLayersTest {
    private static final Path MAIN = Path.of("src/main/java/io/walferry");
    /** A reference to a walferry class: its package below io.walferry, and the class if named. */
    private static final Pattern REFERENCE = Pattern.compile("io\\.walferry\\.([a-z]+)(?:\\.([A-Z][A-Za-z]*))?");

    /** Every reference in the sources of {@code packageName} (and below) that {@code allowed} refuses, as "File uses io.walferry.x.Y". */
    private static List<String> wrong(String packageName, BiPredicate<String, String> allowed) throws IOException {
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve(packageName))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!m.group(1).equals(packageName) && !allowed.test(m.group(1), m.group(2))) {
                        wrong.add(f.getFileName() + " uses " + m.group());
                    }
                }
            }
        }
        return wrong;
    }

    @Test
    void theProtocolUsesOnlyTheBottomPackages() throws IOException {
        assertThat(wrong("fastpath", (pkg, cls) -> Set.of("config", "failure", "postgres").contains(pkg))).isEmpty();
    }

    @Test
    void onlyCliReachesTheAgent() throws IOException {
        try (Stream<Path> packages = Files.list(MAIN)) {
            for (Path p : packages.filter(Files::isDirectory).toList()) {
                String name = p.getFileName().toString();
                if (!name.equals("cli")) {
                    assertThat(wrong(name, (pkg, cls) -> !pkg.equals("agent"))).as(name).isEmpty();
                }
            }
        }
    }

    @Test
    void cliTouchesNoProtocolFile() throws IOException {
        assertThat(wrong("cli", (pkg, cls) -> !pkg.equals("fastpath") || "PrefetcherProcess".equals(cls))).isEmpty();
    }
}
