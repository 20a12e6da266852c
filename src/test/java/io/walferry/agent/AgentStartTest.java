package io.walferry.agent;

import io.walferry.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent refuses to start on what only the user can fix, with one line, instead of retrying forever. */
class AgentStartTest {
    @TempDir
    Path tmp;

    private int agent(Path config, StringWriter err) {
        return Main.run(new String[]{"-c", config.toString(), "agent"}, new PrintWriter(new StringWriter()), new PrintWriter(err),
                Map.of("WALFERRY_RUNTIME_DIR", tmp.resolve("run").toString()));
    }

    private Path config(Path data, Path repo) throws IOException {
        Path c = tmp.resolve("walferry.yaml");
        Files.writeString(c, """
                cluster: c
                nodes: [{name: n1, data_directory: %s}]
                repositories: [{name: r, type: fs, path: %s}]
                archive: {spool_directory: %s}
                """.formatted(data, repo, tmp.resolve("spool")));
        return c;
    }

    @Test
    void unregisteredRepositoryAndWrongDataDirectoryFailFast() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data/pg_wal/archive_status"));
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        StringWriter err = new StringWriter();
        assertThat(agent(config(data.getParent().getParent(), repo), err)).isEqualTo(2);
        assertThat(err.toString()).contains("repository r has no registration for cluster c").contains("run walferry repo-create");

        err = new StringWriter();
        assertThat(agent(config(tmp.resolve("nowhere"), repo), err)).isEqualTo(2);
        assertThat(err.toString()).contains("archive_status does not exist").contains("must be the PostgreSQL data directory");
    }

    @Test
    void aRuntimeDirectoryOthersCanWriteIsRefusedNotChanged() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data/pg_wal/archive_status"));
        Path shared = Files.createDirectories(tmp.resolve("run"));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxr-x"));
        StringWriter err = new StringWriter();
        assertThat(agent(config(data.getParent().getParent(), Files.createDirectories(tmp.resolve("repo"))), err)).isEqualTo(2);
        assertThat(err.toString()).contains("is writable by other users, who could fake the agent's acks");
        assertThat(Files.getPosixFilePermissions(shared)).as("mode left as it was")
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxr-x"));
    }
}
