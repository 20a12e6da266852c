package io.walferry.cli;

import io.walferry.agent.ArchiveAgent;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** The long-running agent of one node; stops cleanly on SIGTERM or SIGINT. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run the node's agent: pushes WAL ahead of archive_command, in parallel.")
final class AgentCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        Context ctx = main.context();
        ArchiveAgent agent = new ArchiveAgent(ctx.config(), ctx.node(), ctx.env(), kind -> ExitCode.of(kind).code());
        Thread stopper = new Thread(agent::close, "agent-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            agent.run();
        } finally {
            agent.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it closed the agent
            }
        }
        return 0;
    }
}
