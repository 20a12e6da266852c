package io.walferry.cli;

import io.walferry.config.ConfigLoader;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;

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
        String requested = options.node != null ? options.node : env.get("WALFERRY_NODE");
        return config().resolveNode(requested, Path.of("").toAbsolutePath());
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
