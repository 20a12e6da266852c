package io.walferry.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** walferry aux sync's usage errors: one line and exit 2, before any server or repository is asked. */
class AuxCommandTest {
    private static final int POSTGRES = 1001;

    @TempDir
    Path tmp;

    @Test
    void anUnknownNameIsOneLineNamingTheConfiguredOnes() throws IOException {
        Path config = Files.writeString(tmp.resolve("walferry.yaml"), """
                cluster: c
                nodes: [{name: pg1, port: 1, data_directory: %1$s/pg1}]
                repositories: [{name: local, type: fs, path: %1$s/repo}]
                aux_directories:
                  - name: models
                    path: %1$s/models
                """.formatted(tmp));
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", config.toString(), "aux", "sync", "--name", "nosuch"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err), Map.of(), POSTGRES);
        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("walferry: no aux directory 'nosuch' in " + config + " (hint: use one of: models)");
    }
}
