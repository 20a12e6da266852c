package io.walferry.cli;

import io.walferry.agent.ArchiveAgent;
import io.walferry.ha.HaService;
import io.walferry.postgres.PgBinaries;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.Optional;
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
        // With ha: configured, the agent is also the node's member of the HA cluster.
        HaService ha = ctx.config().ha().isPresent() ? HaService.start(ctx.config(), ctx.node(),
                PgBinaries.find(Optional.ofNullable(main.options.pgBin), ctx.node().binDirectory()), ctx.restoreCommand()) : null;
        Thread stopper = new Thread(agent::close, "agent-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            agent.run();
        } finally {
            if (ha != null) {
                ha.close();
            }
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
