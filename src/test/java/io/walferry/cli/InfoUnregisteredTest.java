package io.walferry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** info on a repository that holds no registration of the cluster says so and exits 2, as a script must notice. */
class InfoUnregisteredTest {
    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        dir = TempDirs.create("wf-info-");
        Files.createDirectories(dir.resolve("repo"));
        Files.writeString(dir.resolve("walferry.yaml"), """
                cluster: test
                nodes:
                  - name: pg1
                    data_directory: %s
                repositories:
                  - name: local
                    type: fs
                    path: %s
                """.formatted(dir.resolve("data"), dir.resolve("repo")));
    }

    @AfterEach
    void tearDown() {
        TempDirs.deleteTree(dir);
    }

    private record Run(int code, String out, String err) {
    }

    private Run info(String... extra) {
        String[] args = new String[extra.length + 3];
        args[0] = "-c";
        args[1] = dir.resolve("walferry.yaml").toString();
        args[2] = "info";
        System.arraycopy(extra, 0, args, 3, extra.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err), Map.of());
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void anUnregisteredRepositoryExits2AndStillPrintsWhatInfoKnows() throws Exception {
        Run text = info();
        assertThat(text.code()).as(text.err()).isEqualTo(2);
        assertThat(text.out()).contains("cluster test is not registered");
        assertThat(text.err()).startsWith("walferry: ").contains("repository local").contains("walferry repo-create").hasLineCount(1);

        Run json = info("--output", "json");
        assertThat(json.code()).isEqualTo(2);
        JsonNode repo = new ObjectMapper().readTree(json.out()).get(0);
        assertThat(repo.get("repository").asText()).isEqualTo("local");
        assertThat(repo.get("registered").asBoolean()).isFalse();
    }
}
