package io.walferry.repository;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
 * The layers of repository/: the object format uses no storage, and storage knows no repository; both may use
 * config, failure and postgres. Read from the sources, so that a reference by a full name counts too.
 */
class RepositoryLayersTest {
    private static final Path ROOT = Path.of("src/main/java/io/walferry/repository");
    /** A reference to a walferry package: its name below io.walferry, and for repository/ the sub-package, if any. */
    private static final Pattern REFERENCE = Pattern.compile("io\\.walferry\\.([a-z]+)(?:\\.([a-z]+)\\b)?");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"format, repository.format", "storage, repository.format repository.storage"})
    void aLayerUsesOnlyTheLayersBelowIt(String layer, String allowedInRepository) throws IOException {
        Set<String> allowed = Set.of(("config failure postgres " + allowedInRepository).split(" "));
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve(layer))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1).equals("repository") && m.group(2) != null ? "repository." + m.group(2) : m.group(1);
                    if (!allowed.contains(used)) {
                        wrong.add(f.getFileName() + " uses " + m.group());
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }
}
