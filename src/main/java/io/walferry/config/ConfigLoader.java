package io.walferry.config;

import io.walferry.failure.WalferryException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads walferry.yaml into a {@link WalferryConfig}. Every value is checked here, once, so that the rest of
 * walferry can trust the record; see docs/configuration.md for the keys and their defaults.
 */
public final class ConfigLoader {
    public static final String ENV_CONFIG = "WALFERRY_CONFIG";
    public static final Path DEFAULT_LOCAL = Path.of("walferry.yaml");
    public static final Path DEFAULT_SYSTEM = Path.of("/etc/walferry/walferry.yaml");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
    }

    public static ConfigLoader fromEnvironment() {
        return new ConfigLoader(System.getenv());
    }

    /** The file to read: -c, then $WALFERRY_CONFIG, then ./walferry.yaml, then /etc/walferry/walferry.yaml. */
    public Path locate(Path explicit) {
        if (explicit != null) {
            return explicit.toAbsolutePath().normalize();
        }
        String env = environment.get(ENV_CONFIG);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        if (Files.isRegularFile(DEFAULT_LOCAL)) {
            return DEFAULT_LOCAL.toAbsolutePath().normalize();
        }
        if (Files.isRegularFile(DEFAULT_SYSTEM)) {
            return DEFAULT_SYSTEM;
        }
        throw WalferryException.config("no configuration file found",
                "pass -c FILE, set " + ENV_CONFIG + ", or create ./walferry.yaml or " + DEFAULT_SYSTEM);
    }

    public WalferryConfig load(Path file) {
        Node root;
        try (Reader r = Files.newBufferedReader(file)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(r);
        } catch (NoSuchFileException e) {
            throw WalferryException.config("configuration file " + file + " does not exist", "pass -c with the path of walferry.yaml");
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(file, line, null, "not valid YAML: " + e.getProblem());
        } catch (IOException e) {
            throw WalferryException.config("cannot read configuration file " + file + ": " + e.getMessage(), "check its permissions");
        }
        if (root == null) {
            throw new ConfigException(file, 0, null, "the file is empty");
        }
        YamlSection top = new YamlSection(file, "", root, new SecretResolver(environment));
        String cluster = top.name("cluster");
        ConnectionConfig connection = connection(top.optionalSection("connection"));
        List<NodeConfig> nodes = nodes(top);
        List<RepositoryConfig> repositories = repositories(top);
        ArchiveConfig archive = archive(top.optionalSection("archive"));
        top.refuseUnknownKeys();
        if (connection.password().map(Secret::inline).orElse(false)) {
            refuseWorldReadable(file, "connection.password is written inline");
        }
        return new WalferryConfig(file, cluster, nodes, repositories, archive, connection);
    }

    private static void refuseWorldReadable(Path file, String why) {
        try {
            if (SecretResolver.WorldReadable.check(file)) {
                throw new ConfigException(file, 0, null, why + " but the file is readable by other users: run chmod o-rwx "
                        + file + " or use ${env:NAME} / ${file:/path}");
            }
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot read its permissions: " + e.getMessage());
        }
    }

    private static ConnectionConfig connection(Optional<YamlSection> section) {
        if (section.isEmpty()) {
            return new ConnectionConfig("postgres", "postgres", Optional.empty(), "prefer", Optional.empty(),
                    Optional.empty(), Optional.empty(), Duration.ofSeconds(10));
        }
        YamlSection s = section.get();
        String sslMode = s.string("sslmode", "prefer");
        if (!Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(sslMode)) {
            throw s.error("sslmode", "expected one of disable, allow, prefer, require, verify-ca, verify-full, got \"" + sslMode + "\"");
        }
        ConnectionConfig c = new ConnectionConfig(s.string("user", "postgres"), s.string("database", "postgres"),
                s.secret("password"), sslMode, s.optionalPath("sslrootcert"), s.optionalPath("sslcert"),
                s.optionalPath("sslkey"), s.duration("connect_timeout", Duration.ofSeconds(10)));
        if ((sslMode.equals("verify-ca") || sslMode.equals("verify-full")) && c.sslRootCert().isEmpty()) {
            throw s.error("sslrootcert", "is required with sslmode " + sslMode + " (the CA that signed the server certificates)");
        }
        s.refuseUnknownKeys();
        return c;
    }

    private static List<NodeConfig> nodes(YamlSection top) {
        List<NodeConfig> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection s : top.list("nodes")) {
            String name = s.name("name");
            if (!names.add(name)) {
                throw s.error("name", "node name \"" + name + "\" is used twice");
            }
            nodes.add(new NodeConfig(name, s.string("region", "default"), s.string("host", "127.0.0.1"),
                    s.integer("port", 5432, 1, 65535), s.path("data_directory"), s.optionalPath("bin_directory")));
            s.refuseUnknownKeys();
        }
        return nodes;
    }

    private static List<RepositoryConfig> repositories(YamlSection top) {
        List<RepositoryConfig> repos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection s : top.list("repositories")) {
            String name = s.has("name") ? s.name("name") : "repo" + (repos.size() + 1);
            if (!names.add(name)) {
                throw s.error("name", "repository name \"" + name + "\" is used twice");
            }
            String type = s.string("type");
            RepositoryConfig repo = switch (type) {
                case "fs" -> new FsRepositoryConfig(name, s.path("path"), s.bool("required", true));
                case "s3" -> throw s.error("type", "s3 repositories are not available in this version; use type: fs");
                default -> throw s.error("type", "expected fs, got \"" + type + "\"");
            };
            s.refuseUnknownKeys();
            repos.add(repo);
        }
        if (repos.stream().noneMatch(RepositoryConfig::required)) {
            throw top.error("repositories", "at least one repository must be required");
        }
        return repos;
    }

    private static ArchiveConfig archive(Optional<YamlSection> section) {
        Path defaultSpool = Path.of("/var/spool/walferry");
        if (section.isEmpty()) {
            return new ArchiveConfig(Compression.defaultFor(CompressionType.LZ4), 2, defaultSpool, Duration.ofSeconds(60));
        }
        YamlSection s = section.get();
        CompressionType type = s.choice("compression", CompressionType.class, CompressionType.LZ4);
        int level = s.integer("compression_level", type.defaultLevel(), type.minLevel(), type.maxLevel());
        ArchiveConfig a = new ArchiveConfig(new Compression(type, level), s.integer("workers", 2, 1, 64),
                s.optionalPath("spool_directory").orElse(defaultSpool), s.duration("timeout", Duration.ofSeconds(60)));
        if (a.timeout().isZero()) {
            throw s.error("timeout", "must be longer than 0s");
        }
        s.refuseUnknownKeys();
        return a;
    }
}
