package io.walferry.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command and subcommand answers --help and -h with its usage and exit 0 (the README promises it); an
 * unknown or missing command is one line and exit 2, never the top-level usage with exit 0.
 */
class CommandHelpTest {
    private record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err), Map.of());
        return new Run(code, out.toString(), err.toString());
    }

    /** The path of every command below {@code cl}, hidden ones too, parents before their subcommands. */
    private static List<List<String>> commands(CommandLine cl, List<String> path) {
        List<List<String>> out = new ArrayList<>();
        for (var e : cl.getSubcommands().entrySet()) {
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            out.addAll(commands(e.getValue(), p));
        }
        return out;
    }

    @Test
    void everyCommandAndSubcommandAnswersHelpWithItsUsage() {
        List<List<String>> all = commands(new CommandLine(new Main()), List.of());
        assertThat(all).contains(List.of("restore"), List.of("replica"), List.of("replica", "create"), List.of("replica", "repoint"),
                List.of("archive-get"), List.of("archive-push"), List.of("archive-prefetch"), List.of("help"));
        all.add(List.of());
        // picocli says what it could not format on System.err, past the writers given to it
        java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();
        java.io.PrintStream was = System.err;
        System.setErr(new java.io.PrintStream(stderr, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            helpOfEach(all);
        } finally {
            System.setErr(was);
        }
        assertThat(stderr.toString(java.nio.charset.StandardCharsets.UTF_8)).as("picocli's own warnings").doesNotContain("WARN");
    }

    private static void helpOfEach(List<List<String>> all) {
        for (List<String> path : all) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Run r = run(args);
                String line = String.join(" ", args);
                assertThat(r.code()).as(line + ": " + r.all()).isZero();
                assertThat(r.out()).as(line).contains("Usage: " + String.join(" ", prepend("walferry", path)));
                assertThat(r.err()).as(line).isEmpty();
            }
        }
    }

    @Test
    void everyCommandAnswersVersion() {
        for (List<String> path : commands(new CommandLine(new Main()), List.of())) {
            if (path.contains("help")) {
                continue; // picocli's help command has no --version
            }
            List<String> args = new ArrayList<>(path);
            args.add("--version");
            Run r = run(args);
            assertThat(r.code()).as(args + ": " + r.all()).isZero();
            assertThat(r.out()).as(args.toString()).isEqualTo("walferry " + Main.VERSION + "\n");
        }
    }

    @Test
    void theHotCommandsAnswerHelpWithAConfigurationGivenToo() {
        for (List<String> args : List.of(List.of("-c", "/nonexistent.yaml", "archive-get", "--help"),
                List.of("archive-get", "-h", "000000010000000000000001"), List.of("archive-push", "--help", "pg_wal/x"),
                List.of("archive-prefetch", "--help"))) {
            Run r = run(args);
            assertThat(r.code()).as(args + ": " + r.all()).isZero();
            assertThat(r.out()).as(args.toString()).contains("Usage: walferry archive-");
        }
    }

    @Test
    void anUnknownOrMissingCommandIsOneLineAndExit2() {
        for (List<String> args : List.of(List.<String>of(), List.of("nosuch"), List.of("replica"), List.of("replica", "nosuch"),
                List.of("help", "nosuch"), List.of("--nosuch"))) {
            Run r = run(args);
            assertThat(r.code()).as(args + ": " + r.all()).isEqualTo(2);
            assertThat(r.out()).as(args.toString()).isEmpty();
            assertThat(r.err()).as(args.toString()).startsWith("walferry: ").hasLineCount(1);
        }
        assertThat(run(List.of("nosuch")).err()).contains("unknown command 'nosuch'");
        assertThat(run(List.of("replica", "nosuch")).err()).contains("unknown command 'nosuch'").contains("walferry replica --help");
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> out = new ArrayList<>(List.of(first));
        out.addAll(rest);
        return out;
    }
}
