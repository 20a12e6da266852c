package io.walferry.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/** Options every command accepts, before or after its name. */
public final class GlobalOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Configuration file (default: $WALFERRY_CONFIG, ./walferry.yaml, /etc/walferry/walferry.yaml).")
    Path config;

    @Option(names = "--node", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "The node of the configuration this command acts for (default: $WALFERRY_NODE, the node whose "
                    + "data directory is the working directory, or the only node; for repo-create and backup, then the primary).")
    String node;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces and debug logging.")
    boolean debug;

    @Option(names = "--output", paramLabel = "FORMAT", scope = ScopeType.INHERIT,
            description = "text (default) or json.")
    OutputFormat output = OutputFormat.text;

    @Option(names = "--pg-bin", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "PostgreSQL's bin directory (default: the node's bin_directory, PATH, pg_config, /usr/lib/postgresql/*/bin).")
    Path pgBin;

    public enum OutputFormat { text, json }
}
