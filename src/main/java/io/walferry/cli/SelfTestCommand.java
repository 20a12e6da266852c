package io.walferry.cli;

import io.walferry.config.DirectoryTree;
import io.walferry.archive.SelfTest;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Checks this installation end to end in a scratch directory, without PostgreSQL and without a configuration. */
@Command(name = "self-test", mixinStandardHelpOptions = true, description = "Check this installation: native compression, encode, verify, push and get, in a scratch directory.")
final class SelfTestCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        Path scratch = Files.createTempDirectory("walferry-self-test-");
        try {
            List<String> report = SelfTest.run(scratch);
            PrintWriter out = main.out();
            if (main.context().json()) {
                var o = Output.object().put("ok", true);
                report.forEach(o.putArray("steps")::add);
                Output.json(out, o);
            } else {
                report.forEach(line -> out.println("ok  " + line));
            }
            return 0;
        } finally {
            DirectoryTree.delete(scratch);
        }
    }
}
