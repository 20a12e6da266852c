package io.walferry.cli;

import io.walferry.router.Router;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** The router: runs until SIGTERM or SIGINT. */
@Command(name = "router", mixinStandardHelpOptions = true,
        description = "Run the router: rw and ro endpoints applications connect to, pooled, following the primary (see docs/router.md).")
final class RouterCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws InterruptedException {
        Router router = Router.start(main.context().config());
        Thread stopper = new Thread(router::close, "router-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        router.awaitClose();
        return 0;
    }
}
