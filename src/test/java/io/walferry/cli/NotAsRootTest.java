package io.walferry.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * restore, replica create and rejoin, and promote write data directories or start servers, aux sync writes aux directories, verify writes its record and
 * repairs into the repositories: never as root. The user id is given to the command line, so that both paths run
 * whoever runs the tests.
 */
class NotAsRootTest {
    private static final int ROOT = 0;
    private static final int POSTGRES = 1001;

    /** The command line of {@code command} (its words split on spaces) with a configuration that does not exist. */
    private static String[] line(String command) {
        List<String> args = new ArrayList<>(List.of("-c", "/nonexistent.yaml"));
        args.addAll(List.of(command.split(" ")));
        if (command.equals("restore")) {
            args.addAll(List.of("--target-dir", "/tmp/x"));
        }
        return args.toArray(String[]::new);
    }

    private static String run(String command, int uid) {
        StringWriter err = new StringWriter();
        int code = Main.run(line(command), new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of(), uid);
        assertThat(code).as(err.toString()).isEqualTo(2);
        return err.toString().strip();
    }

    @ParameterizedTest
    @ValueSource(strings = {"restore", "verify", "promote", "replica create", "replica rejoin", "aux sync"})
    void asRootItIsRefusedWithAOneLineHint(String command) {
        assertThat(run(command, ROOT)).contains("walferry " + command + " must not run as root").contains("sudo -u postgres")
                .doesNotContain("\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"restore", "verify", "promote", "replica create", "replica rejoin", "aux sync"})
    void asTheServersUserItGetsPastTheCheck(String command) {
        // the next thing it does is load the configuration
        assertThat(run(command, POSTGRES)).contains("does not exist").doesNotContain("root");
    }
}
