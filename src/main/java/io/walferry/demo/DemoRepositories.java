package io.walferry.demo;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code repositories:} section of a user's configuration, copied as written into the demo's own
 * configuration: the demo then archives and backs up into the user's buckets, with the same keys, secret
 * references and encryption. Copied rather than re-rendered from the parsed configuration, so that a secret
 * given by reference (an environment variable, a file) stays a reference; one written inline is copied into a
 * file only its owner can read, as the demo's configuration is.
 */
final class DemoRepositories {
    private DemoRepositories() {
    }

    /** The section as YAML, ending in a newline; the caller has validated the whole file already. */
    static String section(Path configFile) {
        Object root;
        try {
            root = new Yaml(new LoaderOptions()).load(Files.readString(configFile));
        } catch (IOException e) {
            throw new WalferryException(Failure.CONFIG, "cannot read " + configFile + ": " + e.getMessage(), null, e);
        }
        Object repositories = root instanceof Map<?, ?> m ? m.get("repositories") : null;
        if (!(repositories instanceof List<?> l) || l.isEmpty()) {
            throw WalferryException.config(configFile + " configures no repositories for the demo to use",
                    "add a repositories: section, or run walferry demo without -c for a filesystem repository of its own");
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        return new Yaml(options).dump(Map.of("repositories", repositories));
    }
}
