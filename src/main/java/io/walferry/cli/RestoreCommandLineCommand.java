package io.walferry.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * Prints the restore_command that restore and replica create write, for a standby set up by other means
 * (pg_basebackup, a snapshot): the line that hands prefetched segments over without the launcher.
 */
@Command(name = "restore-command", mixinStandardHelpOptions = true, description = "Print the restore_command for a server of this configuration "
        + "(what restore and replica create write).")
final class RestoreCommandLineCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        String line = ctx.restoreCommand();
        PrintWriter out = main.out();
        if (ctx.json()) {
            Output.json(out, Output.object().put("restore_command", line));
        } else {
            out.println(line);
        }
        return 0;
    }
}
