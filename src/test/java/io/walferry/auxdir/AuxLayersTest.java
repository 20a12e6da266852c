package io.walferry.auxdir;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * auxdir's place among the layers (docs/architecture.md): beside archive, above repository; it uses only the layers
 * below it, and only the agent, replica and cli layers above use it. Read from the sources, so that a full name counts too.
 */
class AuxLayersTest {
    private static final Path MAIN = Path.of("src/main/java/io/walferry");
    private static final Pattern REFERENCE = Pattern.compile("io\\.walferry\\.([a-z]+)");

    private static List<String> references(Path dir, Set<String> allowed) throws IOException {
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!allowed.contains(m.group(1))) {
                        wrong.add(MAIN.relativize(f) + " uses " + m.group());
                    }
                }
            }
        }
        return wrong;
    }

    @Test
    void auxdirUsesOnlyTheLayersBelowIt() throws IOException {
        assertThat(references(MAIN.resolve("auxdir"), Set.of("auxdir", "repository", "postgres", "config", "failure"))).isEmpty();
    }

    @Test
    void noLayerAtOrBelowItsOwnUsesIt() throws IOException {
        for (String layer : List.of("archive", "repository", "fastpath", "monitor", "postgres", "config", "failure")) {
            assertThat(references(MAIN.resolve(layer), Set.of("archive", "repository", "fastpath", "monitor", "postgres", "config", "failure")))
                    .as(layer).isEmpty();
        }
    }
}
