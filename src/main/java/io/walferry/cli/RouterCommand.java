package io.walferry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.walferry.config.ConfigLoader;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.router.Router;
import io.walferry.router.RouterStatusClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The router: runs until SIGTERM or SIGINT; SIGHUP reloads its configuration. */
@Command(name = "router", mixinStandardHelpOptions = true, subcommands = RouterCommand.Status.class,
        description = "Run the router: rw and ro endpoints applications connect to, pooled, following the primary; SIGHUP reloads "
                + "the configuration (see docs/router.md).")
final class RouterCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RouterCommand.class);

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws InterruptedException {
        WalferryConfig config = main.context().config();
        Router router = Router.start(config);
        HangupSignal.onHangup(() -> reload(router, config));
        Thread stopper = new Thread(router::close, "router-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        router.awaitClose();
        return 0;
    }

    /** Reads the file the router started from again; a configuration that cannot be used is refused in one line. */
    private static void reload(Router router, WalferryConfig started) {
        try {
            String changed = router.reload(() -> new ConfigLoader(System.getenv()).load(started.source()));
            LOG.info("router: configuration reloaded from {} (changed: {})", started.source(), changed);
        } catch (WalferryException e) {
            LOG.error("router: reload of {} refused, the configuration in force stays: {}{}", started.source(), e.getMessage(),
                    e.hint() == null ? "" : " (hint: " + e.hint() + ")");
        } catch (RuntimeException e) {
            LOG.error("router: reload of {} failed, the configuration in force stays: {}", started.source(), e.toString());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "The running router's state: primary, replicas serving reads, clients, pools and what each endpoint sent each node.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        RouterCommand parent;

        @Override
        public Integer call() {
            Context ctx = parent.main.context();
            JsonNode s = RouterStatusClient.fetch(ctx.config().router().orElseThrow(() -> WalferryException.config(
                    "no router: section in " + ctx.config().source(), "see docs/router.md")));
            PrintWriter out = parent.main.out();
            if (ctx.json()) {
                Output.json(out, s);
                return 0;
            }
            out.println("primary:  " + (s.get("primary").isNull() ? "none (rw waits)" : s.get("primary").asText()));
            List<String> readable = new ArrayList<>();
            s.get("readable").forEach(n -> readable.add(n.asText()));
            out.println("reads:    " + (readable.isEmpty() ? "none (ro goes to the primary)" : String.join(", ", readable)));
            out.println("clients:  " + s.get("clients").asInt() + " (" + s.get("waiting_for_primary").asInt() + " waiting for a primary)");
            List<List<String>> pools = new ArrayList<>();
            s.get("pools").forEach(p -> pools.add(List.of(p.get("name").asText(), p.get("mode").asText(), p.get("servers").asText(),
                    p.get("busy").asText(), p.get("waiting").asText(), p.get("errors").asText(),
                    Output.bytes(p.path("client_received_bytes").asLong()), Output.bytes(p.path("client_sent_bytes").asLong()),
                    Output.bytes(p.path("server_received_bytes").asLong()), Output.bytes(p.path("server_sent_bytes").asLong()))));
            out.println();
            Output.table(out, "", List.of("POOL", "MODE", "SERVERS", "BUSY", "WAITING", "ERRORS", "FROM_CLIENTS", "TO_CLIENTS",
                    "FROM_SERVERS", "TO_SERVERS"), pools);
            List<List<String>> routes = new ArrayList<>();
            s.get("routes").forEach(r -> routes.add(List.of(r.get("endpoint").asText(), r.get("node").asText(),
                    r.get("transactions").asText(), r.get("queries").asText(), String.format("%.3f", r.get("wait_seconds").asDouble()))));
            out.println();
            Output.table(out, "", List.of("ENDPOINT", "NODE", "TRANSACTIONS", "QUERIES", "WAITED_S"), routes);
            return 0;
        }
    }
}
