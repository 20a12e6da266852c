package io.walferry.cli;

import io.walferry.archive.RestoreCommandLine;
import io.walferry.config.ConfigLoader;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.postgres.PgConnector;
import io.walferry.replica.Topology;

import java.nio.file.Path;
import java.util.Map;

/** What a command runs with: the loaded configuration, the chosen node, the environment. Loaded once, on first use. */
final class Context {
    private final GlobalOptions options;
    private final Map<String, String> env;
    private WalferryConfig config;

    Context(GlobalOptions options, Map<String, String> env) {
        this.options = options;
        this.env = env;
    }

    WalferryConfig config() {
        if (config == null) {
            ConfigLoader loader = new ConfigLoader(env);
            config = loader.load(loader.locate(options.config));
        }
        return config;
    }

    NodeConfig node() {
        return config().resolveNode(requestedNode(), Path.of("").toAbsolutePath());
    }

    /**
     * For commands that act on the primary unless told otherwise (repo-create, backup): {@link #node()}, but
     * where several nodes leave it open, the one that runs as the primary.
     */
    NodeConfig nodeOrPrimary() {
        return config().chosenNode(requestedNode(), Path.of("").toAbsolutePath())
                .orElseGet(() -> new Topology(config(), new PgConnector(config().connection())).solePrimary());
    }

    private String requestedNode() {
        return options.node != null ? options.node : env.get("WALFERRY_NODE");
    }

    /** The launcher that started this JVM (it says so in $WALFERRY_LAUNCHER), else walferry on the PATH. */
    String launcher() {
        String l = env.get("WALFERRY_LAUNCHER");
        return l == null || l.isBlank() ? "walferry" : l;
    }

    /** restore_command for a server restored or provisioned with this configuration. */
    String restoreCommand() {
        return new RestoreCommandLine(launcher(), config().source()).render();
    }

    Map<String, String> env() {
        return env;
    }

    GlobalOptions options() {
        return options;
    }

    boolean json() {
        return options.output == GlobalOptions.OutputFormat.json;
    }
}
